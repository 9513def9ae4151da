// The kiosk's requests: a paired device's (device-api.js), under the kiosk's own key.

import { deviceApi } from "./device-api.js";

export const { deviceToken, getJSON, post, remember } = deviceApi("antrean.kiosk.device");
