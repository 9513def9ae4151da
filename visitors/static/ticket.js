// The visitor's phone page: the live view of one visit, sound and vibration on the moments
// that matter, and every change told to screen readers (polite for the position, assertive
// for the call). Offline, the last state stays on screen under a "reconnecting" marker.

import { connect } from "/static/server/socket.js";
import * as alerts from "./ticket-alert.js";
import { fill } from "/static/server/kit/i18n.js";
import { SERVER_FACES, fields, pageState, render, waitText } from "./ticket-render.js";
import { stepper } from "./questionnaire.js";

const CLOSE_FORBIDDEN = 4403;
const root = document.getElementById("ticket");
const text = JSON.parse(document.getElementById("ticket-text").textContent);
const f = fields(root);
let last = summary(JSON.parse(document.getElementById("ticket-view").textContent));
let soundOn = false;

function summary(view) {
  const c = view.current;
  return {
    state: pageState(view), id: c?.id, ahead: c?.ahead, recalls: c?.recalls ?? 0,
    alert: view.alert, survey: view.survey?.ticket,
  };
}

function show(view) {
  const before = last;
  last = summary(view);
  const changed = before.state !== last.state || before.survey !== last.survey;
  if (changed && (SERVER_FACES.has(last.state) || SERVER_FACES.has(before.state))) {
    // The survey is a form the server renders (its signed token, the questions): the page
    // is loaded again for it, as it is when the service ends with the visitor watching.
    location.reload();
    return;
  }
  const state = render(root, f, view, text);
  soundControls(state);
  tell(before, last, view.current);
}

function tell(before, now, c) {
  if (!c) return;
  const calledNow = now.state === "called"
    && (before.state !== "called" || before.id !== now.id || now.recalls > before.recalls);
  if (calledNow) {
    const line = now.recalls ? text.live_recall : text.live_call;
    f.assertive.textContent = fill(line, { label: c.label, counter: c.counter_label });
    alerts.called();
    return;
  }
  const said = [];
  if (before.id !== now.id && now.state === "waiting") {
    said.push(fill(text.live_next_step, { service: c.service_name, label: c.label }));
  }
  if (now.state === "waiting" && (now.ahead !== before.ahead || before.id !== now.id)) {
    said.push(now.ahead === 0 ? text.live_next : fill(text.live_ahead, { n: now.ahead, wait: waitText(c) }));
  }
  if (now.state === "serving" && before.state !== "serving") {
    said.push(fill(text.live_serving, { counter: c.counter_label }));
  }
  if (now.state === "finished" && before.state !== "finished") said.push(text.live_done);
  if (said.length) f.polite.textContent = said.join(" ");
  if (now.alert && !before.alert) alerts.soon();
}

function soundControls(state) {
  const wanted = state === "waiting" || state === "called";
  f.sound.hidden = !wanted || soundOn || !alerts.supported();
  f["sound-on"].hidden = !wanted || !soundOn;
}

f.sound.addEventListener("click", () => {
  alerts.arm();
  soundOn = true;
  soundControls(last.state);
});
soundControls(last.state);
if (f["survey-form"]) stepper(f["survey-form"]);

const connection = connect({
  topics: [`visit:${root.dataset.token}`],
  onMessage: ({ data }) => show(data),
  onStatus: (status, code) => {
    if (status === "offline" && code === CLOSE_FORBIDDEN) {
      // The server no longer knows this visit (a new day began): say so and stop trying.
      connection.close();
      show({ current: null, booking: null, steps: [], step: 0, alert: false, finished: false });
      f.offline.hidden = true;
      return;
    }
    if (status !== "connecting") f.offline.hidden = status === "online";
  },
});
