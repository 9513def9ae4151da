// A paired device's requests (the kiosk, the survey tablet): the kit's resending calls, each
// with the device's token (X-Device-Token, kept under the device's own key) and the page's
// own words for a failure.

import { post as postOnce, request } from "/static/server/kit/api.js";
import * as device from "/static/server/kit/device.js";
import { fill } from "/static/server/kit/i18n.js";

// A visitor waits at the device, told "offline, retrying", the kit's minute before being
// sent to staff; a GET is asked again soon anyway, so it does not wait long.
const GET_GIVE_UP = 2000; // ms

function words(text) {
  return { network: text.network, server: (status) => fill(text.server, { status }) };
}

/** The calls of the device whose token is kept under `key` (e.g. "antrean.kiosk.device"). */
export function deviceApi(key) {
  /** The token: from the address (and kept) or the one kept before. */
  const deviceToken = () => device.deviceToken(key);
  // Read before every try: a device paired again meanwhile sends its new token.
  const asThisDevice = () => ({ "X-Device-Token": deviceToken() });
  return {
    deviceToken,
    remember: (token) => device.remember(key, token),
    /** GET `path`: the JSON answer, or {ok: false, code, message}. Never throws. */
    getJSON: (path, text) =>
      request(path, { headers: asThisDevice, giveUpAfter: GET_GIVE_UP, words: words(text) }),
    /** POST `body` with a fresh command_id, kept for every resend. Never throws.
     * onOffline(true | false) says when resending starts and ends. */
    post: (path, body, text, { onOffline = () => {} } = {}) =>
      postOnce(path, body, { headers: asThisDevice, onOffline, words: words(text) }),
    /** POST `body` as it is (it carries its own command_id, if any). Never throws. */
    send: (path, body, text, { onOffline = () => {} } = {}) =>
      request(path, { method: "POST", body, headers: asThisDevice, onOffline, words: words(text) }),
  };
}
