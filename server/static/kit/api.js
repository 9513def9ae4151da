// Talking to the server from every room's pages: one command_id per command, resent with that
// same id until it lands. The server applies a command once and answers later tries with the
// first outcome, so a resend after a network failure or a 503 (the store is away) never calls
// a second ticket. 502/503/504 and network errors are tried again, with a growing, jittered
// pause; every other answer is final.

const RETRY_STATUS = new Set([502, 503, 504]);
const FIRST_PAUSE = 500; // ms
const LONGEST_PAUSE = 5000; // the server's Retry-After for a store outage
// A console officer or a kiosk visitor sees "offline, retrying" meanwhile; after this long
// the command is given up and the page says so, since a call made minutes late would surprise
// everyone.
const GIVE_UP_AFTER = 60000; // ms

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh command id: 32 hex digits (or a UUID). Works outside secure contexts too. */
export function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a venue LAN may serve plain http, where
  // getRandomValues still works.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Thrown by an attempt whose answer says "try again later". */
class Retryable extends Error {
  constructor(status) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

/**
 * resend(attempt, {giveUpAfter, onOffline}) -> {answer} | {failure}; never throws.
 * `attempt()` resolves to the answer, or throws Retryable / fetch's TypeError to be tried
 * again. onOffline(true) is called before the first pause, onOffline(false) once it is over.
 */
async function resend(attempt, { giveUpAfter, onOffline }) {
  const started = Date.now();
  let pause = FIRST_PAUSE;
  let offline = false;
  const over = (result) => {
    if (offline) onOffline(false);
    return result;
  };
  for (;;) {
    try {
      return over({ answer: await attempt() });
    } catch (error) {
      // Anything else (a body that is not JSON after all) is not worth a second try.
      const retryable = error instanceof Retryable || error instanceof TypeError;
      if (!retryable || Date.now() - started + pause > giveUpAfter) return over({ failure: error });
      if (!offline) {
        offline = true;
        onOffline(true);
      }
      await sleep(pause * (0.75 + Math.random() / 2));
      pause = Math.min(LONGEST_PAUSE, pause * 2);
    }
  }
}

function trouble(status, words) {
  const message = words.server ? words.server(status) : (words.network ?? "");
  return { ok: false, code: "http", message };
}

async function attempt(path, init, headers, words) {
  const response = await fetch(path, {
    ...init,
    headers: { ...init.headers, ...(typeof headers === "function" ? headers() : headers) },
    credentials: "same-origin",
  });
  if (RETRY_STATUS.has(response.status)) throw new Retryable(response.status);
  const type = response.headers.get("content-type") || "";
  if (!type.includes("application/json")) return trouble(response.status, words);
  return response.json();
}

/**
 * request(path, {method, body, headers, giveUpAfter, onOffline, words})
 *   -> the JSON answer | {ok: false, code: "http" | "network", message}
 * Never throws. `body` (an object) is encoded once, so every resend sends the same bytes.
 * `headers` is an object, or a function called before each try (a token that may change).
 * `words` = {network, server}: the page's sentence for a dropped connection, and a function
 * of the HTTP status for an answer that is not JSON (the network one when there is none). onOffline(true | false) says when the
 * resending starts and ends.
 */
export async function request(path, options = {}) {
  const { method = "GET", body, headers = {}, words = {} } = options;
  const { giveUpAfter = GIVE_UP_AFTER, onOffline = () => {} } = options;
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const { answer, failure } = await resend(() => attempt(path, init, headers, words), {
    giveUpAfter,
    onOffline,
  });
  if (!failure) return answer;
  if (failure instanceof Retryable) return trouble(failure.status, words);
  return { ok: false, code: "network", message: words.network ?? "" };
}

/** POST `body` to `path` with a fresh command_id, kept for every resend. Never throws. */
export function post(path, body, options = {}) {
  return request(path, { ...options, method: "POST", body: { ...body, command_id: newId() } });
}

/**
 * command(body, {csrf, onOffline, giveUpAfter, words}) -> {ok: true, seq, ...} | {ok: false,
 * code, message}: one command to POST /api/commands for a signed-in page, with its CSRF token.
 */
export function command(body, { csrf, ...options } = {}) {
  return post("/api/commands", body, { ...options, headers: { "X-CSRF-Token": csrf } });
}
