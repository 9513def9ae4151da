// The kiosk: tenants -> services -> regular or priority ticket (optionally several services
// in one visit) -> the ticket on screen and on paper. Also check-in of online bookings and
// "the service I need is not here". Touch, keyboard (Tab, arrows, Enter, Escape = back,
// digits on the PIN pad, F1 or * = voice guidance) and USB barcode scanners (they type the
// code and Enter).

import { fill, lang } from "/static/server/kit/i18n.js";
import { deviceToken, getJSON, post, remember } from "./kiosk-api.js";
import { arrowNavigation } from "./kiosk-grid.js";
import { IdleTimer } from "./kiosk-idle.js";
import { VoiceGuide, wordsOf } from "./kiosk-voice.js";
import { PinPad } from "./kiosk-pin.js";
import {
  chosenList,
  offlineState,
  planBar,
  serviceTile,
  showTicket,
  tenantTile,
} from "./kiosk-render.js";

const IDLE_SECONDS = 45;
const TICKET_SECONDS = 60;
const TICKET_UNPRINTED_SECONDS = 120; // the QR on screen is all the visitor has: keep it longer
const REFRESH_MS = 10000;

const text = JSON.parse(document.getElementById("kiosk-text").textContent);
const kiosk = document.getElementById("kiosk");
const field = (name) => document.querySelector(`[data-field=${name}]`);

const state = {
  screen: "home",
  history: [],
  overview: null,
  tenant: null, // the tenant whose services are shown
  plan: [], // chosen services, in visiting order: [{id, name, tenantName, priority_lane, say}]
  ticketSay: [], // what guidance says of the ticket on screen
  busy: false,
};

// --- screens ------------------------------------------------------------------------------

function show(screen, { remember: keep = true } = {}) {
  if (keep && state.screen !== screen) state.history.push(state.screen);
  state.screen = screen;
  for (const section of document.querySelectorAll("[data-screen]")) {
    section.hidden = section.dataset.screen !== screen;
  }
  const atHome = screen === "home" && !state.plan.length;
  document.querySelector("[data-action=back]").hidden = atHome || screen === "ticket";
  document.querySelector(".k-foot [data-action=home]").hidden = atHome || screen === "ticket";
  field("plan-bar").hidden = !state.plan.length || screen === "plan" || screen === "ticket";
  planBar(field("plan-bar-list"), state.plan);
  idle.start(idleSeconds());
  draw();
  guided.showing = true;
  focusScreen(screen);
  guided.showing = false;
  guided.focus = focusKey(document.activeElement);
  guide.speak(screenWords(screen));
}

/** What guidance reads when a screen opens: its lead, then the names of its choices. */
function screenWords(screen) {
  const tenants = state.overview?.tenants || [];
  const name = (item) => (item.say || []).slice(0, 1); // audio/guide.py says the name first
  if (screen === "home") return ["pilih_instansi", ...tenants.flatMap(name)];
  if (screen === "services") {
    const tenant = tenants.find((t) => t.id === state.tenant);
    if (!tenant) return [];
    return ["pilih_layanan_di", ...name(tenant), ...tenant.services.flatMap(name)];
  }
  if (screen === "plan") return ["yang_anda_pilih", ...state.plan.flatMap((s) => s.say), "tekan_ambil_nomor"];
  if (screen === "ticket") return state.ticketSay;
  return []; // the forms (check-in, a missing service) are typed, and not guided
}

// The focused choice is read when the visitor moves to it, not when a screen opens (the
// screen's words say it) nor when a refresh redraws the tiles under the same focus.
const guided = { showing: false, focus: "" };
// By what the element is, not by its words: a tile whose count changed on a refresh is
// the same choice, and is not read again under the visitor's ears.
function focusKey(element) {
  const data = element?.dataset;
  if (!data?.say) return "";
  return data.tenant || data.service || data.remove || data.action || data.go || data.say;
}

function focused(event) {
  const key = focusKey(event.target);
  if (guided.showing || !guide.on || key === guided.focus) return;
  guided.focus = key;
  guide.speak(wordsOf(event.target));
}

/** The start screen waits for its next visitor forever; once guidance is on it belongs to
 * a visitor, and goes back to the start (and silence) when they have gone. */
function idleSeconds() {
  const start = state.screen === "home" && !state.plan.length;
  return start && !guide.on ? 0 : IDLE_SECONDS;
}

function toggleGuide() {
  guide.toggle(screenWords(state.screen));
  if (state.screen === "home") idle.start(idleSeconds()); // other screens count already
}

function focusScreen(screen) {
  const section = document.querySelector(`[data-screen="${screen}"]`);
  // The plan's next step is taking the number: Enter there must not remove a service.
  const target =
    section.querySelector("input, textarea") ||
    section.querySelector(".k-tile:not([aria-disabled=true])") ||
    section.querySelector("[data-action=issue]") ||
    section.querySelector("button");
  // A screen opens at its top (the ticket's number, a screen's lead), even when its focused
  // button is further down, as on the ticket screen in large text.
  section.closest(".k-main").scrollTop = 0;
  if (target) target.focus({ preventScroll: true });
}

function back() {
  if (state.screen === "ticket" || state.screen === "thanks") return goHome();
  const previous = state.history.pop();
  if (previous === undefined || previous === "ticket") return goHome();
  show(previous, { remember: false });
}

function goHome() {
  // Guidance belongs to its visitor: it ends with their ticket.
  if (state.screen === "ticket") guide.off();
  state.history = [];
  state.plan = [];
  state.tenant = null;
  closeOverlays();
  show("home", { remember: false });
  refresh();
}

/** After a long pause the next visitor starts afresh, and in Indonesian. Not while a
 * request is out (a resend through an outage lasts up to a minute): its visitor is waiting
 * for the answer, and going home, or reloading, would throw it away. */
function idleHome() {
  if (state.busy) return idle.touch();
  guide.off();
  if (lang() === "en") {
    location.href = `${location.pathname}?lang=id`;
    return;
  }
  goHome();
}

// --- drawing ------------------------------------------------------------------------------

function draw() {
  const overview = state.overview;
  if (!overview) return;
  field("loading").hidden = true;
  const notice = field("notice");
  notice.textContent = overview.notice;
  notice.hidden = !overview.notice;
  const chosen = new Set(state.plan.map((s) => s.id));
  field("home-lead").textContent = state.plan.length ? text.choose_next : text.choose_tenant;
  field("home-more").hidden = state.plan.length > 0;
  redraw(field("tenants"), overview.tenants.map((t) => tenantTile(t, text)));
  const tenant = overview.tenants.find((t) => t.id === state.tenant);
  if (tenant) {
    field("services-lead").textContent = fill(text.choose_service, { tenant: tenant.name });
    const tiles = tenant.services.map((s) => serviceTile(s, text, chosen.has(s.id)));
    redraw(field("services"), tiles);
  }
  chosenList(field("chosen"), state.plan, text);
  drawStandards(field("standards"), state.plan);
  field("priority-box").hidden = !(state.plan[0] && state.plan[0].priority_lane);
  const select = field("request-tenant");
  const picked = select.value;
  select.replaceChildren(select.options[0], ...overview.tenants.map((t) => new Option(t.full_name, t.id)));
  select.value = picked;
  field("clock").textContent = overview.time;
}

/** The chosen services' standards (what to bring first), from the page's templates. */
function drawStandards(box, plan) {
  const shown = plan.map((s) => s.id).join(" ");
  if (box.dataset.shown === shown) return; // unchanged: keep the visitor's scroll and toggles
  box.dataset.shown = shown;
  box.replaceChildren(
    ...plan.flatMap((service) => {
      const template = document.querySelector(`template[data-standards="${CSS.escape(service.id)}"]`);
      return template ? [template.content.cloneNode(true)] : [];
    }),
  );
}

/** Swap a grid's tiles, keeping the focus on the same tile across a refresh. */
function redraw(grid, tiles) {
  const focused = grid.contains(document.activeElement) ? document.activeElement : null;
  const key = focused && (focused.dataset.tenant || focused.dataset.service);
  grid.replaceChildren(...tiles);
  if (key) {
    const again = tiles.find((t) => (t.dataset.tenant || t.dataset.service) === key);
    if (again) again.focus();
  }
}

async function refresh() {
  const answer = await getJSON("/kiosk/api/overview", text);
  if (answer.ok) {
    const first = state.overview === null;
    state.overview = answer;
    const focusedRequest = state.screen === "request" && document.activeElement;
    draw();
    if (focusedRequest) focusedRequest.focus();
    if (first) focusScreen(state.screen);
  } else if (answer.code === "unpaired" || answer.code === "wrong_device") {
    unpaired(whyUnpaired(answer));
  }
  // A network failure keeps the last tiles; the next refresh tries again.
}

// The pairing screen says it already; a token of another kind of device is worth naming.
const whyUnpaired = (answer) => (answer.code === "wrong_device" ? answer.message : "");

/** The pairing screen; `why` says what is wrong with the token this kiosk holds. */
function unpaired(why = "") {
  kiosk.hidden = true;
  const section = document.getElementById("unpaired");
  section.hidden = false;
  field("unpaired-why").textContent = why;
  field("unpaired-why").hidden = !why;
  const form = field("pairing-form");
  form.onsubmit = (event) => {
    event.preventDefault();
    const token = form.elements.device.value.trim();
    if (!token) return;
    remember(token);
    location.reload();
  };
}

// --- choosing -----------------------------------------------------------------------------

function chooseTenant(id) {
  state.tenant = id;
  show("services");
}

function chooseService(id) {
  const tenant = state.overview.tenants.find((t) => t.id === state.tenant);
  const service = tenant && tenant.services.find((s) => s.id === id);
  if (!service || state.plan.some((s) => s.id === id)) return;
  if (!service.available) {
    alertBox(`${service.name}: ${service.status}.`, service.come_back);
    return;
  }
  state.plan.push({
    id: service.id,
    name: service.name,
    tenantName: tenant.name,
    priority_lane: service.priority_lane,
    say: (service.say || []).slice(0, 1),
  });
  state.history = [];
  show("plan", { remember: false });
}

function removeFromPlan(index) {
  state.plan.splice(index, 1);
  if (!state.plan.length) return goHome();
  draw();
  field("chosen").querySelector("button")?.focus();
}

// --- issuing ------------------------------------------------------------------------------

async function issue(priority, pin = "") {
  const [first, ...rest] = state.plan;
  const body = { service: first.id, itinerary: rest.map((s) => s.id), priority, pin };
  const answer = await busy((onOffline) => post("/kiosk/api/issue", body, text, { onOffline }));
  if (answer.ok) {
    pinPad.hide();
    ticketScreen(answer);
  } else if (priority && (answer.code === "pin_wrong" || answer.code === "pin_locked")) {
    pinPad.fail(answer.message);
    if (answer.code === "pin_locked") setTimeout(() => pinPad.open && closeOverlays(), 8000);
  } else {
    pinPad.hide();
    if (answer.code === "unpaired" || answer.code === "wrong_device") return unpaired(whyUnpaired(answer));
    alertBox(answer.message, answer.come_back);
    refresh();
  }
}

function ticketScreen(answer) {
  state.plan = [];
  state.history = [];
  state.ticketSay = answer.ticket.say || [];
  showTicket(document.querySelector("[data-screen=ticket]"), answer.ticket, text);
  show("ticket", { remember: false });
  const status = field("t-print");
  status.classList.toggle("k-print-failed", answer.print.status === "failed");
  if (answer.print.status === "failed") {
    status.textContent = answer.print.message;
    idle.start(TICKET_UNPRINTED_SECONDS);
  } else {
    status.textContent = answer.print.status === "printed" ? text.printed : text.printing;
    idle.start(TICKET_SECONDS);
  }
  if (answer.print.status === "browser") browserPrint(answer.ticket.print_url);
  refresh();
}

/** Print the 80 mm slip page through the browser (Chromium --kiosk-printing prints it
 * silently to the default printer); used when the kiosk has no network printer. */
function browserPrint(url) {
  const frame = field("print-frame");
  frame.onload = () => {
    if (frame.getAttribute("src") === url) frame.contentWindow.print();
  };
  frame.setAttribute("src", url);
}

async function checkIn(event) {
  event.preventDefault();
  const input = event.target.elements.booking;
  const error = field("check-in-error");
  const code = input.value.trim();
  error.hidden = true;
  if (!code) {
    error.textContent = text.need_code;
    error.hidden = false;
    return;
  }
  const answer = await busy((onOffline) =>
    post("/kiosk/api/check-in", { booking: code }, text, { onOffline }),
  );
  if (answer.ok) {
    input.value = "";
    ticketScreen(answer);
  } else {
    error.textContent = [answer.message, answer.come_back].filter(Boolean).join(" ");
    error.hidden = false;
    input.select();
  }
}

async function requestService(event) {
  event.preventDefault();
  const form = event.target;
  const error = field("request-error");
  const body = { tenant: form.elements.tenant.value, text: form.elements.text.value.trim() };
  error.hidden = true;
  if (body.text.length < 3) {
    error.textContent = text.need_text;
    error.hidden = false;
    form.elements.text.focus();
    return;
  }
  const answer = await busy((onOffline) => post("/kiosk/api/request", body, text, { onOffline }));
  if (!answer.ok) {
    error.textContent = answer.message;
    error.hidden = false;
    return;
  }
  form.reset();
  field("thanks").textContent = answer.message;
  state.history = [];
  show("thanks", { remember: false });
  idle.start(15);
}

/** Run `work(onOffline)` with every button locked; the overlay says "working", or "offline,
 * retrying" while the server or its store is away and the same request is being resent. */
async function busy(work) {
  if (state.busy) return { ok: false, code: "busy", message: "" };
  state.busy = true;
  const overlay = field("busy");
  const later = setTimeout(() => (overlay.hidden = false), 300);
  try {
    return await work((offline) => offlineState(overlay, offline, text));
  } finally {
    clearTimeout(later);
    offlineState(overlay, false, text);
    overlay.hidden = true;
    state.busy = false;
  }
}

// --- overlays -----------------------------------------------------------------------------

let alertReturn = null;

function alertBox(message, when) {
  guide.speak(["tidak_bisa"]); // the reason is on screen only: the staff read it out
  alertReturn = document.activeElement;
  field("alert-message").textContent = message;
  field("alert-when").textContent = when || "";
  field("alert-when").hidden = !when;
  field("alert").hidden = false;
  field("alert").querySelector("button").focus();
}

function closeAlert() {
  field("alert").hidden = true;
  if (alertReturn && document.contains(alertReturn)) alertReturn.focus();
  alertReturn = null;
}

function closeOverlays() {
  field("alert").hidden = true;
  pinPad.hide();
}

function openPin() {
  pinPad.show(
    (pin) => issue(true, pin),
    () => {
      pinPad.hide();
      document.querySelector("[data-action=priority]").focus();
    },
  );
}

// --- wiring -------------------------------------------------------------------------------

function clicked(event) {
  const target = event.target.closest("button, a");
  if (!target || state.busy) return;
  const { action, go, tenant, service, remove } = target.dataset;
  if (tenant) chooseTenant(tenant);
  else if (service) chooseService(service);
  else if (remove !== undefined) removeFromPlan(Number(remove));
  else if (go) show(go);
  else if (action === "back") back();
  else if (action === "home") goHome();
  else if (action === "add") show("home");
  else if (action === "issue") issue(false);
  else if (action === "priority") openPin();
  else if (action === "alert-ok") closeAlert();
  else if (action === "stay") idle.touch();
  else if (action === "voice") toggleGuide();
}

function keyed(event) {
  const typing = event.target.closest?.("input, textarea, select");
  if (event.key === "F1" || (event.key === "*" && !typing)) {
    event.preventDefault();
    if (!event.repeat) toggleGuide(); // a key held down toggles once
    return;
  }
  if (event.key !== "Escape") return;
  event.preventDefault();
  if (!field("alert").hidden) closeAlert();
  else if (pinPad.open) {
    pinPad.hide();
    document.querySelector("[data-action=priority]")?.focus();
  } else if (state.screen !== "home" || state.plan.length) back();
}

function showIdle(seconds) {
  const box = field("idle");
  if (seconds !== null && box.hidden) guide.speak(["layar_akan_kembali"]);
  box.hidden = seconds === null;
  if (seconds !== null) field("idle-text").textContent = fill(text.idle, { n: seconds });
}

const idle = new IdleTimer(idleHome, showIdle);
// A test and debugging hook: every utterance, {clips, status}, in order.
window.antreanGuide = { log: [] };
const guide = new VoiceGuide(document.querySelector("[data-action=voice]"), window.antreanGuide.log);
const pinPad = new PinPad(field("pin"), text);

function start() {
  if (!deviceToken()) return unpaired();
  kiosk.hidden = false;
  kiosk.addEventListener("click", clicked);
  kiosk.addEventListener("focusin", focused);
  document.addEventListener("keydown", keyed);
  arrowNavigation(kiosk);
  field("check-in-form").addEventListener("submit", checkIn);
  field("request-form").addEventListener("submit", requestService);
  setInterval(() => {
    if (!state.busy && state.screen !== "ticket") refresh();
  }, REFRESH_MS);
  show("home", { remember: false });
  refresh();
}

start();
