// Drawing the kiosk's tiles and ticket from the server's JSON. Text goes in with
// textContent only; the QR code is the server's own SVG (segno), never visitor input.

import { el } from "/static/server/kit/dom.js";
import { fill } from "/static/server/kit/i18n.js";

function waitingText(n, text) {
  return n ? fill(text.waiting, { n }) : text.waiting_none;
}

/** A tenant tile: name, how many wait, how many services can issue now. */
export function tenantTile(tenant, text) {
  const tile = el("button", {
    type: "button",
    class: "k-tile k-tile-tenant",
    dataset: { tenant: tenant.id, say: (tenant.say || []).join(".") },
    role: "listitem",
  });
  tile.append(el("span", { class: "k-tile-name", text: tenant.name }));
  tile.append(el("span", { class: "k-tile-count", text: waitingText(tenant.waiting, text) }));
  const open = tenant.available
    ? fill(text.services_open, { n: tenant.available })
    : text.services_none;
  tile.append(el("span", { class: tenant.available ? "k-tile-sub" : "k-tile-sub k-tile-off", text: open }));
  if (!tenant.available) tile.classList.add("k-unavailable");
  return tile;
}

/** A service tile: open (waiting, expected wait) or plainly closed (why, when to return). */
export function serviceTile(service, text, chosen) {
  const tile = el("button", {
    type: "button",
    class: "k-tile k-tile-service",
    dataset: { service: service.id, say: (service.say || []).join(".") },
    role: "listitem",
  });
  const head = el(
    "span",
    { class: "k-tile-head" },
    el("span", { class: "k-tile-prefix", text: service.prefix }),
    el("span", { class: "k-tile-name", text: service.name }),
  );
  tile.append(head);
  tile.append(el("span", { class: "k-tile-count", text: waitingText(service.waiting, text) }));
  if (service.available) {
    // No range when no counter serves the service: say nothing rather than guess.
    if (service.wait) tile.append(el("span", { class: "k-tile-sub", text: fill(text.wait, { wait: service.wait }) }));
  } else {
    tile.classList.add("k-unavailable");
    tile.setAttribute("aria-disabled", "true");
    tile.append(el("span", { class: "k-tile-status", text: service.status }));
    tile.append(el("span", { class: "k-tile-sub", text: service.come_back }));
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
      const what = el(
        "span",
        { class: "k-chosen-what" },
        el("strong", { text: service.name }),
        el("span", { class: "k-chosen-tenant", text: service.tenantName }),
      );
      const remove = el("button", {
        type: "button",
        class: "btn k-remove",
        dataset: { remove: String(index), say: ["tombol_hapus", ...(service.say || [])].join(".") },
        "aria-label": fill(text.remove, { service: service.name }),
        text: "✕",
      });
      const step = el("span", { class: "k-chosen-step", text: String(index + 1) });
      return el("li", { class: "k-chosen-item" }, step, what, remove);
    }),
  );
}

export function planBar(list, plan) {
  list.replaceChildren(...plan.map((service) => el("li", { text: service.name })));
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
