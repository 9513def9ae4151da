// The kiosk's requests: the kit's resending calls, each with this kiosk's device token
// (X-Device-Token) and the kiosk's own words for a failure.

import { post as postOnce, request } from "/static/server/kit/api.js";
import * as device from "/static/server/kit/device.js";
import { fill } from "/static/server/kit/i18n.js";

const KEY = "antrean.kiosk.device";
// A visitor waits at the kiosk, told "offline, retrying", the kit's minute before being sent
// to staff; the tiles' refresh asks again every 10 s anyway, so it does not wait long.
const GET_GIVE_UP = 2000; // ms

/** The kiosk's token: from the address (and kept) or the one kept before. */
export function deviceToken() {
  return device.deviceToken(KEY);
}

export function remember(token) {
  device.remember(KEY, token);
}

// Read before every try: a kiosk paired again meanwhile sends its new token.
const asThisKiosk = () => ({ "X-Device-Token": deviceToken() });

function words(text) {
  return { network: text.network, server: (status) => fill(text.server, { status }) };
}

/** GET a kiosk API path: the JSON answer, or {ok: false, code, message}. Never throws. */
export function getJSON(path, text) {
  return request(path, { headers: asThisKiosk, giveUpAfter: GET_GIVE_UP, words: words(text) });
}

/** POST `body` with a fresh command_id, kept for every resend. Never throws.
 * onOffline(true | false) says when resending starts and ends. */
export function post(path, body, text, { onOffline = () => {} } = {}) {
  return postOnce(path, body, { headers: asThisKiosk, onOffline, words: words(text) });
}
