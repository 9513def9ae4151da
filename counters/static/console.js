// The counter console: wires the embedded first view, the live socket, the buttons, the
// shortcuts and the dialogs together. Views arrive only from the socket (topic
// counter:<id>); commands go out over HTTP and their effect comes back as a new view.

import { connect } from "/static/server/socket.js";
import { command } from "/static/server/kit/api.js";
import { keepInSync, syncTo } from "/static/server/kit/clock.js";
import { openSpecific, openTransfer, setupDialogs } from "./dialogs.js";
import { refusal, word } from "./i18n.js";
import { setupKeys } from "./keys.js";
import { renderActions, renderView, tick } from "./render.js";

const root = document.getElementById("console");
const counterId = root.dataset.counter;
const counterLabel = root.dataset.counterLabel;
const csrf = root.dataset.csrf;
const VIEW_WAIT = 2500; // ms a finished command waits for its view before unlocking anyway
const STATUS_SHOWN = 8000;

let view = JSON.parse(document.getElementById("initial-view").textContent);
let seq = -1; // log position of `view`; the embedded one predates every socket message
const sending = new Set(); // actions sent and not yet reflected in a view
// While a command is being resent through an outage every button says "sending", so no
// press sends a second, different command meanwhile; otherwise only the sent action waits.
let resending = 0; // commands being resent now
const pending = { has: (action) => resending > 0 || sending.has(action) };
const waiters = []; // {seq, resolve}: commands waiting for the view that shows them

// --- messages ----------------------------------------------------------------------------

let statusTimer = null;

function showError(message) {
  const box = document.getElementById("alert");
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  const box = document.getElementById("alert");
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.kind;
}

/** The server or its store is away: the command is being resent, the same one, until it lands. */
function showOffline(now) {
  resending += now ? 1 : -1;
  root.dataset.offline = String(resending > 0);
  renderActions(view, pending);
  if (resending === 0) return clearError();
  showError(word("offlineRetrying"));
  document.getElementById("alert").dataset.kind = "offline";
}

function showStatus(message, kind = "ok") {
  const box = document.getElementById("status");
  box.dataset.kind = kind;
  box.textContent = message;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { box.textContent = ""; }, STATUS_SHOWN);
}

// --- views -------------------------------------------------------------------------------

function apply(next, nextSeq) {
  view = next;
  seq = nextSeq;
  for (const waiter of waiters.filter((w) => w.seq <= seq)) {
    waiters.splice(waiters.indexOf(waiter), 1);
    waiter.resolve();
  }
  renderView(view);
  renderActions(view, pending);
}

function viewAt(wanted) {
  if (seq >= wanted) return Promise.resolve();
  return new Promise((resolve) => {
    waiters.push({ seq: wanted, resolve });
    setTimeout(resolve, VIEW_WAIT); // offline socket: do not lock the button for ever
  });
}

// --- commands ----------------------------------------------------------------------------

const WITHOUT_COUNTER = new Set(["return_ticket"]);
const words = {
  network: word("networkDown"),
  server: (status) => word("serverTrouble", { status }),
};

function commandFor(action, fields) {
  const body = { type: action, ...fields };
  if (!WITHOUT_COUNTER.has(action)) body.counter = counterId;
  return body;
}

function confirmation(action, before, context) {
  const held = before.current ? before.current.label : "";
  const now = view.current;
  switch (action) {
    case "call_next":
    case "call_specific":
      return word("didCall", { label: now ? now.label : before.next || context.ticket, counter: counterLabel });
    case "recall":
      return word("didRecall", { label: held, n: now ? now.recalls : "", max: view.max_recalls });
    case "no_show": return word("didNoShow", { label: held });
    case "start_serving": return word("didStart", { label: held });
    case "done": return word("didDone", { label: held });
    case "hold": return word("didHold", { label: held });
    case "transfer": return word("didTransfer", { label: held, target: context.target });
    case "resume": return word("didResume", { label: context.label });
    case "return_ticket": return word("didReturn", { label: context.label });
    case "open_counter": return word("didOpen");
    case "pause_counter": return word("didPause");
    default: return word("didClose");
  }
}

/** Send `action`; resolves to the API's answer once the view shows it (or it failed). */
async function run(action, fields = {}, context = {}) {
  if (pending.has(action)) return { ok: false, code: "pending", message: word("whyPending") };
  const before = view;
  sending.add(action);
  renderActions(view, pending);
  const result = await command(commandFor(action, fields), { csrf, onOffline: showOffline, words });
  if (result.ok) {
    clearError();
    await viewAt(result.seq);
    showStatus(confirmation(action, before, { ...fields, ...context }));
  } else {
    showError(result.message);
  }
  sending.delete(action);
  renderActions(view, pending);
  return result;
}

function runFromDialog(action, { target, ...fields }) {
  return run(action, fields, { target });
}

/** A button press or a shortcut: open a dialog, run the command, or say why not. */
function trigger(action, data = {}) {
  const why = pending.has(action) ? word("whyPending") : refusal(action, view);
  if (why) {
    showStatus(why, "info");
    return;
  }
  if (action === "transfer") openTransfer(view);
  else if (action === "call_specific") openSpecific(view, data.ticket || "");
  else if (data.ticket) run(action, { ticket: data.ticket }, { label: data.label });
  else run(action);
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
  if (button) trigger(button.dataset.action, button.dataset);
});

// --- connection --------------------------------------------------------------------------

let everOnline = false;

function connectionStatus(state) {
  const badge = document.getElementById("connection");
  if (state === "online") everOnline = true;
  const key = state === "connecting" && everOnline ? "reconnecting" : state;
  badge.dataset.state = state;
  badge.textContent = word(key);
}

syncTo(root.dataset.serverNow);
keepInSync();
setupDialogs(runFromDialog);
setupKeys(trigger);
renderView(view);
renderActions(view, pending);
setInterval(tick, 1000);
connect({
  topics: [`counter:${counterId}`],
  onMessage: (message) => apply(message.data, message.seq),
  onStatus: connectionStatus,
});
