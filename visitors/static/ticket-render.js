// Puts a visit's view on the page. The server rendered the same elements for the first
// paint; this only changes their text and which of them show (data-when="<states>").

import { el } from "/static/server/kit/dom.js";
import { fill, pick } from "/static/server/kit/i18n.js";

export function fields(root) {
  const found = {};
  for (const el of root.querySelectorAll("[data-f]")) found[el.dataset.f] = el;
  return found;
}

/** Which face the page shows: booking, a ticket status, finished, the survey of a served
 * ticket or the thanks for it, survey closed, or gone (as `page_state` in ticket.py). */
export function pageState(view) {
  const c = view.current;
  if (!c && view.booking) {
    return view.booking.status === "cancelled" ? "booking_cancelled" : "booking";
  }
  if (!c || c.status === "done") {
    if (view.survey) return "survey";
    if (view.rated) return "thanks";
  }
  if (!c) return view.survey_closed ? "survey_closed" : "gone";
  return view.finished ? "finished" : c.status;
}

/** The faces the server renders forms into (the survey's, with its signed form token). */
export const SERVER_FACES = new Set(["survey", "thanks", "survey_closed"]);

export function waitText(current) {
  return pick(current.wait_id, current.wait_en);
}

export function aheadText(current, text) {
  if (current.ahead == null) return "";
  return current.ahead === 0 ? text.ahead_none : fill(text.ahead, { n: current.ahead });
}

export function render(root, f, view, text) {
  const state = pageState(view);
  root.dataset.state = state;
  root.dataset.alert = String(view.alert);
  for (const el of root.querySelectorAll("[data-when]")) {
    el.hidden = !el.dataset.when.split(" ").includes(state);
  }
  const c = view.current;
  if (c) {
    f.label.textContent = c.label;
    f.service.textContent = c.service_name;
    f.tenant.textContent = c.tenant_name;
    f.ahead.textContent = aheadText(c, text);
    f.wait.textContent = waitText(c);
    for (const key of ["counter", "counter2", "counter3"]) f[key].textContent = c.counter_label;
    f.recalls.hidden = !c.recalls;
    f.recalls.textContent = fill(text.recalls, { n: c.recalls + 1 });
    document.title = c.label;
  }
  f.alert.hidden = !view.alert;
  renderSteps(f, view, text);
  return state;
}

function renderSteps(f, view, text) {
  f["steps-box"].hidden = view.steps.length < 2;
  f.step.textContent = fill(text.step, { n: view.step, of: view.steps.length });
  const items = view.steps.map((step, index) => {
    const now = index + 1 === view.step;
    const li = el("li", {
      class: step.status === "done" ? "is-done" : now ? "is-now" : "is-next",
      text: step.service_name,
    });
    if (step.label) li.append(el("small", { text: ` ${step.label}` }));
    return li;
  });
  f.steps.replaceChildren(...items);
}
