// Drawing the kiosk's tiles and ticket from the server's JSON. Text goes in with
// textContent only; the QR code is the server's own SVG (segno), never visitor input.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function fill(template, params) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(params[key] ?? ""));
}

function waitingText(n, text) {
  return n ? fill(text.waiting, { n }) : text.waiting_none;
}

/** A tenant tile: name, how many wait, how many services can issue now. */
export function tenantTile(tenant, text) {
  const tile = el("button", "k-tile k-tile-tenant");
  tile.type = "button";
  tile.dataset.tenant = tenant.id;
  tile.setAttribute("role", "listitem");
  tile.append(el("span", "k-tile-name", tenant.name));
  tile.append(el("span", "k-tile-count", waitingText(tenant.waiting, text)));
  const open = tenant.available
    ? fill(text.services_open, { n: tenant.available })
    : text.services_none;
  tile.append(el("span", tenant.available ? "k-tile-sub" : "k-tile-sub k-tile-off", open));
  if (!tenant.available) tile.classList.add("k-unavailable");
  return tile;
}

/** A service tile: open (waiting, expected wait) or plainly closed (why, when to return). */
export function serviceTile(service, text, chosen) {
  const tile = el("button", "k-tile k-tile-service");
  tile.type = "button";
  tile.dataset.service = service.id;
  tile.setAttribute("role", "listitem");
  const head = el("span", "k-tile-head");
  head.append(el("span", "k-tile-prefix", service.prefix), el("span", "k-tile-name", service.name));
  tile.append(head);
  tile.append(el("span", "k-tile-count", waitingText(service.waiting, text)));
  if (service.available) {
    // No range when no counter serves the service: say nothing rather than guess.
    if (service.wait) tile.append(el("span", "k-tile-sub", fill(text.wait, { wait: service.wait })));
  } else {
    tile.classList.add("k-unavailable");
    tile.setAttribute("aria-disabled", "true");
    tile.append(el("span", "k-tile-status", service.status));
    tile.append(el("span", "k-tile-sub", service.come_back));
  }
  if (chosen) {
    tile.classList.add("k-unavailable");
    tile.setAttribute("aria-disabled", "true");
  }
  return tile;
}

/** The chosen services, in visiting order, each removable. */
export function chosenList(list, plan, text) {
  list.replaceChildren(
    ...plan.map((service, index) => {
      const item = el("li", "k-chosen-item");
      const what = el("span", "k-chosen-what");
      what.append(el("strong", "", service.name), el("span", "k-chosen-tenant", service.tenantName));
      const remove = el("button", "btn k-remove", "✕");
      remove.type = "button";
      remove.dataset.remove = String(index);
      remove.setAttribute("aria-label", fill(text.remove, { service: service.name }));
      item.append(el("span", "k-chosen-step", String(index + 1)), what, remove);
      return item;
    }),
  );
}

export function planBar(list, plan) {
  list.replaceChildren(...plan.map((service) => el("li", "", service.name)));
}

/** Fill the ticket screen from the issue answer. */
export function showTicket(root, ticket, text) {
  const field = (name) => root.querySelector(`[data-field=${name}]`);
  field("t-label").textContent = ticket.label;
  field("t-priority").hidden = !ticket.priority;
  field("t-service").textContent = ticket.service;
  field("t-tenant").textContent = ticket.tenant;
  field("t-ahead").textContent = fill(text.ahead, { n: ticket.ahead });
  field("t-wait").textContent = ticket.wait || "–";
  field("t-next-box").hidden = !ticket.next_services.length;
  field("t-next").textContent = ticket.next_services.join(` ${text.then} `);
  field("t-when").textContent = ticket.issued;
  const qr = field("t-qr");
  qr.innerHTML = ticket.qr; // segno's SVG, made by our server from the visit's URL
  qr.dataset.url = ticket.url;
  const svg = qr.querySelector("svg");
  if (svg) svg.setAttribute("role", "img");
}

/** The busy overlay saying "offline, retrying" while a request is resent, or "working". */
export function offlineState(overlay, offline, text) {
  const box = overlay.querySelector(".k-box");
  if (!("working" in box.dataset)) box.dataset.working = box.textContent;
  box.textContent = offline ? text.offline : box.dataset.working;
  overlay.classList.toggle("k-offline", offline);
  if (offline) overlay.hidden = false;
}

export { fill };
