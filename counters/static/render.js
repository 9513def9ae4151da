// Drawing a CounterView (counters/views.py) into the console page. Data goes in as
// textContent only; lists are updated in place (dom.reconcile) to keep the focus.

import { secondsSince, stopwatch } from "/static/server/kit/clock.js";
import { el, reconcile, setText } from "/static/server/kit/dom.js";
import { refusal, word } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export function renderView(view) {
  renderCounter(view);
  renderCurrent(view);
  renderActions(view);
  renderLanes(view);
  renderWaiting(view);
  renderHeld(view);
  renderNoShow(view);
  tick();
}

function renderCounter(view) {
  const badge = $("counter-status");
  badge.dataset.status = view.counter.status;
  setText("counter-status", word(view.counter.status));
}

function renderCurrent(view) {
  const ticket = view.current;
  $("current-ticket").hidden = !ticket;
  $("current-empty").hidden = Boolean(ticket);
  if (!ticket) {
    delete $("current-timer").dataset.since;
    setText("current-empty", emptyHint(view));
    return;
  }
  setText("current-label", ticket.label);
  setText("current-service", ticket.service_name);
  const status = $("current-status");
  status.dataset.status = ticket.status;
  setText("current-status", word(ticket.status === "called" ? "called" : "serving"));
  $("current-priority").hidden = !ticket.priority;
  const timer = $("current-timer");
  const serving = ticket.status !== "called" && ticket.started_at;
  timer.dataset.since = serving ? ticket.started_at : ticket.called_at || ticket.issued_at;
  timer.dataset.suffix = word(serving ? "sinceStarted" : "sinceCalled");
  timer.dataset.format = "stopwatch";
  setText("current-recalls", word("recalls", { n: ticket.recalls, max: view.max_recalls }));
  $("current-recalls").hidden = ticket.status !== "called";
}

function emptyHint(view) {
  if (view.counter.status === "closed") return word("emptyClosed");
  if (view.counter.status === "break") return word("emptyBreak");
  return view.next ? word("emptyReady", { label: view.next }) : word("emptyNobody");
}

/** Enable or disable every [data-action] button by the rules, with the reason attached. */
export function renderActions(view, pending = new Set()) {
  const reasons = $("reasons");
  for (const button of document.querySelectorAll("button[data-action]")) {
    const action = button.dataset.action;
    const why = pending.has(action) ? word("whyPending") : refusal(action, view);
    setDisabled(button, why, reasons);
  }
  setText("next-detail", view.next ? word("nextIs", { label: view.next }) : word("nobodyNext"));
}

function setDisabled(button, why, reasons) {
  // aria-disabled (not the disabled attribute) keeps the button focusable, so a keyboard
  // user stays where they are and can still hear why it does not apply.
  button.setAttribute("aria-disabled", why ? "true" : "false");
  if (why) button.title = why;
  else button.removeAttribute("title");
  let hint = button.id ? document.getElementById(`${button.id}-why`) : null;
  if (!hint && why) {
    button.id ||= `action-${Math.random().toString(36).slice(2, 10)}`;
    hint = el("span", { id: `${button.id}-why` });
    reasons.append(hint);
    button.setAttribute("aria-describedby", hint.id);
  }
  if (hint && hint.textContent !== why) hint.textContent = why;
}

function renderLanes(view) {
  reconcile(
    $("lanes"),
    view.lanes,
    () => el("li", { class: "lane" }, el("span", { class: "lane-name" }), el("span", { class: "lane-counts" })),
    (node, lane) => {
      node.children[0].textContent = `${lane.name} (${lane.prefix})`;
      const counts = [word("laneWaiting", { n: lane.waiting })];
      if (lane.priority_waiting) counts.push(word("lanePriority", { n: lane.priority_waiting }));
      node.children[1].textContent = counts.join(" · ");
      node.dataset.empty = lane.waiting ? "false" : "true";
    },
  );
}

function ticketRow(ticket, button) {
  return el(
    "li",
    { class: "row" },
    el("span", { class: "row-label", text: ticket.label }),
    el("span", { class: "row-service", title: ticket.service_name, text: ticket.service_name }),
    el("span", { class: "pill pill-priority", hidden: !ticket.priority, text: `★ ${word("priority")}` }),
    el("span", { class: "row-wait", dataset: { since: ticket.issued_at, format: "minutes" } }),
    button,
  );
}

function rowButton(action, ticket, labelKey, nameKey) {
  return el("button", {
    type: "button",
    class: "btn btn-small",
    dataset: { action, ticket: ticket.id, label: ticket.label },
    "aria-label": word(nameKey, { label: ticket.label }),
    text: word(labelKey),
  });
}

function updateRow(node, ticket) {
  node.querySelector(".pill-priority").hidden = !ticket.priority;
  node.querySelector(".row-service").textContent = ticket.service_name;
}

function renderList(id, tickets, button) {
  reconcile($(id), tickets, (t) => ticketRow(t, button(t)), updateRow);
  $(`${id}-empty`).hidden = tickets.length > 0;
}

function renderWaiting(view) {
  renderList("waiting", view.waiting, (t) => rowButton("call_specific", t, "call", "callTicket"));
  // One lane and nothing transferred in: the lane line above already names the service.
  const single = view.lanes.length === 1 && view.waiting.every((t) => t.service === view.lanes[0].id);
  $("waiting").dataset.single = String(single);
  const total = view.lanes.reduce((sum, lane) => sum + lane.waiting, 0);
  const count = Math.max(total, view.waiting.length);
  setText("waiting-count", String(count));
  const more = $("waiting-more");
  more.hidden = count <= view.waiting.length;
  if (!more.hidden) more.textContent = word("waitingMore", { n: count });
}

function renderHeld(view) {
  renderList("held", view.held, (t) => rowButton("resume", t, "resume", "resumeTicket"));
  setText("held-count", String(view.held.length));
}

function renderNoShow(view) {
  renderList("no-show", view.no_show, (t) => rowButton("return_ticket", t, "giveBack", "giveBackTicket"));
  setText("no-show-count", String(view.no_show.length));
}

/** Refresh every running timer and waited-minutes figure; called each second. */
export function tick() {
  for (const node of document.querySelectorAll("[data-since]")) {
    const seconds = secondsSince(node.dataset.since);
    let text;
    if (node.dataset.format === "stopwatch") text = `${stopwatch(seconds)} ${node.dataset.suffix}`;
    else {
      const minutes = Math.floor(seconds / 60);
      text = word("waitedMinutes", { n: minutes });
      node.title = word("waitedLabel", { n: minutes });
    }
    if (node.textContent !== text) node.textContent = text;
  }
}
