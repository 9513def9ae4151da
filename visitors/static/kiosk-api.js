// Talking to the server as a paired kiosk.
// The device token arrives once in the address (?device=TOKEN), is kept in localStorage and
// removed from the address bar, then goes with every API call as X-Device-Token.
// Each action gets one command_id; a resend after a network failure or a 503 (the store is
// away) re-sends the SAME body, so the server answers it with the first outcome instead of
// issuing a second ticket.

import { Retryable, RETRY_STATUS, resend } from "/static/server/resend.js";

const KEY = "antrean.kiosk.device";
// A visitor waits at the kiosk, told "offline, retrying", this long before being sent to
// staff; the tiles' refresh asks again every 10 s anyway, so it does not wait long.
const POST_GIVE_UP = 60000; // ms
const GET_GIVE_UP = 2000;
let memory = ""; // when localStorage is unavailable (some kiosk profiles)

/** The kiosk's token: from the address (and stored) or the one stored before. */
export function deviceToken() {
  const url = new URL(location.href);
  const given = url.searchParams.get("device");
  if (given !== null) {
    url.searchParams.delete("device");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    if (given.trim()) remember(given.trim());
  }
  try {
    return localStorage.getItem(KEY) || memory;
  } catch {
    return memory;
  }
}

export function remember(token) {
  memory = token;
  try {
    localStorage.setItem(KEY, token);
  } catch {
    // Storage disabled: the token lasts until the page reloads.
  }
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a venue LAN may serve plain http.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function attempt(path, init, text) {
  const response = await fetch(path, {
    ...init,
    headers: { ...(init.headers || {}), "X-Device-Token": deviceToken() },
    credentials: "same-origin",
  });
  if (RETRY_STATUS.has(response.status)) throw new Retryable(response.status);
  const type = response.headers.get("content-type") || "";
  if (!type.includes("application/json")) {
    return { ok: false, code: "http", message: text.server.replace("{status}", response.status) };
  }
  return response.json();
}

async function withRetries(path, init, text, options) {
  const { answer, failure } = await resend(() => attempt(path, init, text), options);
  if (!failure) return answer;
  if (failure instanceof Retryable) {
    return { ok: false, code: "http", message: text.server.replace("{status}", failure.status) };
  }
  return { ok: false, code: "network", message: text.network };
}

/** GET a kiosk API path: the JSON answer, or {ok: false, code, message}. Never throws. */
export function getJSON(path, text) {
  return withRetries(path, { method: "GET" }, text, { giveUpAfter: GET_GIVE_UP });
}

/** POST `body` with a fresh command_id, kept for every resend. Never throws.
 * onOffline(true | false) says when resending starts and ends. */
export function post(path, body, text, { onOffline = () => {} } = {}) {
  const payload = JSON.stringify({ ...body, command_id: newId() });
  const init = { method: "POST", headers: { "Content-Type": "application/json" }, body: payload };
  return withRetries(path, init, text, { giveUpAfter: POST_GIVE_UP, onOffline });
}
