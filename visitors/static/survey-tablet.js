// The survey tablet: the ticket's number (typed on the keypad or a keyboard, or scanned: a
// USB scanner types what it reads and Enter) or a chosen service -> the nine questions, one
// per screen -> thanks -> back to the start by itself. Nothing of one visitor stays for the
// next: going to the start clears every answer, the code and the error shown.

import { newId } from "/static/server/kit/api.js";
import { fill, lang } from "/static/server/kit/i18n.js";
import { deviceApi } from "./device-api.js";
import { IdleTimer } from "./kiosk-idle.js";
import { stepper } from "./questionnaire.js";

const IDLE_SECONDS = 60; // a question read slowly, aloud to a parent, takes a while
const THANKS_SECONDS = 8;

const api = deviceApi("antrean.survey.device");
const text = JSON.parse(document.getElementById("tablet-text").textContent);
const tablet = document.getElementById("tablet");
const field = (name) => document.querySelector(`[data-field=${name}]`);
const form = field("survey-form");
const codeInput = document.getElementById("ticket-code");

const state = {
  screen: "start",
  tenant: null, // the tenant whose services are shown
  rating: null, // what is rated: {ticket} or {service}, with its words
  commandId: null, // one per response, kept for every resend and every tap on Kirim
  busy: false,
};

// --- screens ------------------------------------------------------------------------------

function show(screen) {
  state.screen = screen;
  for (const section of document.querySelectorAll("[data-screen]")) {
    const of = section.dataset.of;
    section.hidden = section.dataset.screen !== screen || (of !== undefined && of !== state.tenant);
  }
  const atStart = screen === "start";
  document.querySelector("[data-action=back]").hidden = atStart || screen === "thanks";
  document.querySelector(".s-foot [data-action=home]").hidden = atStart || screen === "thanks";
  idle.start(atStart ? 0 : IDLE_SECONDS);
  focusScreen(screen);
}

function focusScreen(screen) {
  if (screen === "start") return codeInput.focus(); // a scan lands in the field at once
  if (screen === "questions") return; // the questionnaire focuses its question
  const section = [...document.querySelectorAll(`[data-screen="${screen}"]`)].find((s) => !s.hidden);
  section?.querySelector("button")?.focus();
}

function back() {
  if (state.screen === "services") return show("tenants");
  if (state.screen === "questions" && state.rating.service) return show("services");
  goHome();
}

/** The start screen, with nothing of the last visitor left: answers, code, errors. */
function goHome() {
  clearTimeout(thanksTimer);
  clearInterval(thanksTicker);
  state.tenant = null;
  state.rating = null;
  state.commandId = null;
  questions.restart();
  codeInput.value = "";
  for (const name of ["code-error", "answer-error"]) tell(name, "");
  field("rating").textContent = "";
  show("start");
}

/** After a pause the next visitor starts afresh, and in Indonesian. Not while a response
 * is being sent (a resend through an outage lasts up to a minute). */
function idleHome() {
  if (state.busy) return idle.touch();
  if (lang() === "en") {
    location.href = `${location.pathname}?lang=id`;
    return;
  }
  goHome();
}

function tell(name, message) {
  field(name).textContent = message;
  field(name).hidden = !message;
}

// --- what is rated ------------------------------------------------------------------------

async function findTicket(event) {
  event.preventDefault();
  const code = codeInput.value.trim();
  tell("code-error", "");
  if (!code) return tell("code-error", text.need_code);
  const answer = await busy((onOffline) => api.send("/survey/api/find", { code }, text, { onOffline }));
  if (!answer.ok) {
    if (answer.code === "unpaired" || answer.code === "wrong_device") return unpaired(answer);
    tell("code-error", answer.message);
    codeInput.select();
    return;
  }
  const { ticket, label, service_name: service, tenant_name: tenant } = answer.ticket;
  startQuestions({ ticket }, fill(text.rating_ticket, { label, service, tenant }));
}

function chooseService(button) {
  const { service, name, tenantName } = button.dataset;
  startQuestions({ service }, fill(text.rating_service, { service: name, tenant: tenantName }));
}

function startQuestions(rating, words) {
  state.rating = rating;
  state.commandId = newId();
  codeInput.value = "";
  questions.restart();
  tell("answer-error", "");
  field("rating").textContent = words;
  show("questions");
  form.querySelector("fieldset.q legend")?.focus({ preventScroll: true });
}

// --- answering ----------------------------------------------------------------------------

function answers() {
  const data = new FormData(form);
  const picked = {};
  for (const radio of form.querySelectorAll("input[type=radio]:checked")) {
    picked[radio.name] = Number(radio.value);
  }
  const respondent = {};
  for (const select of form.querySelectorAll("select")) respondent[select.name] = select.value;
  return { answers: picked, comment: String(data.get("comment") || ""), respondent };
}

async function send(event) {
  if (event.defaultPrevented) return; // the questionnaire went back to an open question
  event.preventDefault();
  if (state.busy || !state.rating) return;
  const body = { ...state.rating, ...answers(), command_id: state.commandId };
  const answer = await busy((onOffline) => api.send("/survey/api/answer", body, text, { onOffline }));
  if (answer.ok) return thanks();
  if (answer.code === "unpaired" || answer.code === "wrong_device") return unpaired(answer);
  tell("answer-error", answer.message);
  field("answer-error").scrollIntoView({ block: "nearest" });
  questions.release();
}

let thanksTimer = null;
let thanksTicker = null;

function thanks() {
  state.rating = null;
  state.commandId = null;
  questions.restart();
  show("thanks");
  idle.start(0); // the thanks screen has its own, shorter way back
  let left = THANKS_SECONDS;
  const tell = () => (field("home-in").textContent = fill(text.idle, { n: left }));
  tell();
  thanksTicker = setInterval(() => {
    left -= 1;
    if (left > 0) tell();
  }, 1000);
  thanksTimer = setTimeout(idleHome, THANKS_SECONDS * 1000);
}

/** Run `work(onOffline)` with every button locked; the overlay says "working", or "offline,
 * retrying" while the server or its store is away and the same request is being resent. */
async function busy(work) {
  if (state.busy) return { ok: false, code: "busy", message: "" };
  state.busy = true;
  const overlay = field("busy");
  const later = setTimeout(() => (overlay.hidden = false), 300);
  const saying = field("busy-text");
  const working = saying.textContent;
  try {
    return await work((offline) => {
      overlay.hidden = false;
      saying.textContent = offline ? text.offline : working;
    });
  } finally {
    clearTimeout(later);
    saying.textContent = working;
    overlay.hidden = true;
    state.busy = false;
  }
}

// --- pairing ------------------------------------------------------------------------------

function unpaired(answer = null) {
  tablet.hidden = true;
  document.getElementById("unpaired").hidden = false;
  tell("unpaired-why", answer && answer.code === "wrong_device" ? answer.message : "");
  const pairing = field("pairing-form");
  pairing.onsubmit = (event) => {
    event.preventDefault();
    const token = pairing.elements.device.value.trim();
    if (!token) return;
    api.remember(token);
    location.reload();
  };
}

// --- wiring -------------------------------------------------------------------------------

function clicked(event) {
  const target = event.target.closest("button");
  if (!target || state.busy || target.closest("form.survey-form")) return;
  const { action, go, tenant, service, key } = target.dataset;
  if (key !== undefined) typeKey(key);
  else if (action === "erase") typeKey(null);
  else if (tenant) {
    state.tenant = tenant;
    show("services");
  } else if (service) chooseService(target);
  else if (go) show(go);
  else if (action === "back") back();
  else if (action === "home") goHome();
  else if (action === "stay") idle.touch();
}

/** The keypad types into the code field as a keyboard would (null: erase one). */
function typeKey(key) {
  codeInput.value = key === null ? codeInput.value.slice(0, -1) : codeInput.value + key;
  tell("code-error", "");
  codeInput.focus();
}

function keyed(event) {
  if (event.key !== "Escape" || state.screen === "start") return;
  event.preventDefault();
  back();
}

function showIdle(seconds) {
  const box = field("idle");
  box.hidden = seconds === null;
  if (seconds !== null) field("idle-text").textContent = fill(text.idle, { n: seconds });
}

const idle = new IdleTimer(idleHome, showIdle);
const questions = stepper(form);

async function start() {
  if (!api.deviceToken()) return unpaired();
  const hello = await api.getJSON("/survey/api/hello", text);
  if (!hello.ok && (hello.code === "unpaired" || hello.code === "wrong_device")) {
    return unpaired(hello);
  }
  // Otherwise (the network away for a moment) the tablet starts; its first call says more.
  tablet.hidden = false;
  tablet.addEventListener("click", clicked);
  document.addEventListener("keydown", keyed);
  field("code-form").addEventListener("submit", findTicket);
  form.addEventListener("submit", send);
  show("start");
}

start();
