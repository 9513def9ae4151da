// Which actions apply in a counter view, and why not when they do not.
// Mirrors the domain's rules (server/domain/decide.py) so buttons are honest; the server
// still decides, and its refusal is shown if the view was out of date.

import { say } from "./i18n.js";

function notOpen(view) {
  return view.counter.status === "open" ? "" : say("whyClosed");
}

function emptyHanded(view) {
  return view.current ? say("whyBusy", { label: view.current.label }) : "";
}

function inHand(view) {
  return view.current ? "" : say("whyIdle");
}

function stillCalled(view) {
  if (!view.current) return say("whyIdle");
  return view.current.status === "called" ? "" : say("whyServing", { label: view.current.label });
}

function recallable(view) {
  const called = notOpen(view) || stillCalled(view);
  if (called) return called;
  return view.current.recalls < view.max_recalls ? "" : say("whyRecallLimit", { max: view.max_recalls });
}

function closable(view) {
  if (view.counter.status === "closed") return say("whyAlreadyClosed");
  return emptyHanded(view) || (view.held.length ? say("whyHeld", { n: view.held.length }) : "");
}

const RULES = {
  // Nobody waiting is not a reason to disable: the lane changes from outside at any moment,
  // so the server answers that one ("Tidak ada antrean ...").
  call_next: (v) => notOpen(v) || emptyHanded(v),
  call_specific: (v) => notOpen(v) || emptyHanded(v),
  resume: (v) => notOpen(v) || emptyHanded(v),
  recall: recallable,
  no_show: stillCalled,
  start_serving: stillCalled,
  done: inHand,
  transfer: inHand,
  hold: inHand,
  return_ticket: () => "",
  open_counter: (v) => (v.counter.status === "open" ? say("whyAlreadyOpen") : ""),
  pause_counter: (v) => (v.counter.status === "open" ? "" : say("whyNotOpen")) || emptyHanded(v),
  close_counter: closable,
};

/** Why `action` does not apply to `view` ("" when it does). */
export function refusal(action, view) {
  const rule = RULES[action];
  return rule ? rule(view) : "";
}
