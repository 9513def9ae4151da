// Sending one command to POST /api/commands, safely resent.
// Each command gets one command_id; a resend after a network failure or a 503 (the store is
// away) re-sends the SAME id, so the server answers it with the first outcome instead of
// calling a second ticket.

import { Retryable, RETRY_STATUS, resend } from "/static/server/resend.js";
import { say } from "./i18n.js";

// An officer sees "offline, retrying" meanwhile; after this long the command is given up
// and the console says so, since a call made minutes late would surprise everyone.
const GIVE_UP_AFTER = 60000; // ms

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
  if (RETRY_STATUS.has(response.status)) throw new Retryable(response.status);
  const type = response.headers.get("content-type") || "";
  if (!type.includes("application/json")) {
    return { ok: false, code: "http", message: say("serverTrouble", { status: response.status }) };
  }
  return response.json();
}

/**
 * send(command, csrf, {onOffline}) -> {ok: true, seq, ...} | {ok: false, code, message}
 * Never throws: a network failure that outlasts the resends is answered as code "network".
 * onOffline(true | false) says when the resending starts and ends.
 */
export async function send(command, csrf, { onOffline = () => {} } = {}) {
  const body = JSON.stringify({ ...command, command_id: newId() });
  const { answer, failure } = await resend(() => attempt(body, csrf), {
    giveUpAfter: GIVE_UP_AFTER,
    onOffline,
  });
  if (!failure) return answer;
  if (failure instanceof Retryable) {
    return { ok: false, code: "http", message: say("serverTrouble", { status: failure.status }) };
  }
  return { ok: false, code: "network", message: say("networkDown") };
}
