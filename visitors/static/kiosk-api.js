// Talking to the server as a paired kiosk.
// The device token arrives once in the address (?device=TOKEN), is kept in localStorage and
// removed from the address bar, then goes with every API call as X-Device-Token.
// Each action gets one command_id; a retry after a network failure re-sends the SAME body,
// so the server answers it with the first outcome instead of issuing a second ticket.

const KEY = "antrean.kiosk.device";
const RETRY_DELAYS = [500, 1500];
const RETRY_STATUS = new Set([502, 503, 504]);
let memory = ""; // when localStorage is unavailable (some kiosk profiles)

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

class RetryableStatus extends Error {
  constructor(status) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

async function attempt(path, init, text) {
  const response = await fetch(path, {
    ...init,
    headers: { ...(init.headers || {}), "X-Device-Token": deviceToken() },
    credentials: "same-origin",
  });
  if (RETRY_STATUS.has(response.status)) throw new RetryableStatus(response.status);
  const type = response.headers.get("content-type") || "";
  if (!type.includes("application/json")) {
    return { ok: false, code: "http", message: text.server.replace("{status}", response.status) };
  }
  return response.json();
}

async function withRetries(path, init, text) {
  let failure = null;
  for (let i = 0; i <= RETRY_DELAYS.length; i += 1) {
    if (i > 0) await sleep(RETRY_DELAYS[i - 1]);
    try {
      return await attempt(path, init, text);
    } catch (error) {
      failure = error; // a network TypeError or a gateway status: try again, same body
    }
  }
  if (failure instanceof RetryableStatus) {
    return { ok: false, code: "http", message: text.server.replace("{status}", failure.status) };
  }
  return { ok: false, code: "network", message: text.network };
}

/** GET a kiosk API path: the JSON answer, or {ok: false, code, message}. Never throws. */
export function getJSON(path, text) {
  return withRetries(path, { method: "GET" }, text);
}

/** POST `body` with a fresh command_id (kept for this call's retries). Never throws. */
export function post(path, body, text) {
  const payload = JSON.stringify({ ...body, command_id: newId() });
  const init = { method: "POST", headers: { "Content-Type": "application/json" }, body: payload };
  return withRetries(path, init, text);
}
