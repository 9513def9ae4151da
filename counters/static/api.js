// Sending one command to POST /api/commands, safely retried.
// Each command gets one command_id; a retry after a network failure re-sends the SAME id,
// so the server answers it with the first outcome instead of calling a second ticket.

import { say } from "./i18n.js";

const RETRY_DELAYS = [400, 1200]; // ms before the 2nd and 3rd attempt
const RETRY_STATUS = new Set([502, 503, 504]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a venue LAN may serve plain http.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function attempt(body, csrf) {
  const response = await fetch("/api/commands", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body,
    credentials: "same-origin",
  });
  if (RETRY_STATUS.has(response.status)) throw new RetryableStatus(response.status);
  const type = response.headers.get("content-type") || "";
  if (!type.includes("application/json")) {
    return { ok: false, code: "http", message: say("serverTrouble", { status: response.status }) };
  }
  return response.json();
}

class RetryableStatus extends Error {
  constructor(status) { super(`HTTP ${status}`); this.status = status; }
}

/**
 * send(command, csrf) -> {ok: true, seq, ...} | {ok: false, code, message}
 * Never throws: a network failure after the retries is answered as code "network".
 */
export async function send(command, csrf) {
  const body = JSON.stringify({ ...command, command_id: newId() });
  let failure = null;
  for (let i = 0; i <= RETRY_DELAYS.length; i += 1) {
    if (i > 0) await sleep(RETRY_DELAYS[i - 1]);
    try {
      return await attempt(body, csrf);
    } catch (error) {
      failure = error; // fetch's TypeError (network) or a gateway status: try again
    }
  }
  if (failure instanceof RetryableStatus) {
    return { ok: false, code: "http", message: say("serverTrouble", { status: failure.status }) };
  }
  return { ok: false, code: "network", message: say("networkDown") };
}
