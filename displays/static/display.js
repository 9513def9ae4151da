// The hall display of one zone: pairing, the live connection, and what to do with each view.

import { connect } from "/static/server/socket.js";
import { onNewCall, setSpeaker, startAnnouncing } from "./announce.js";
import { CallTracker } from "./calls.js";
import { startClock } from "./clock.js";
import { keepInSync, syncTo } from "/static/server/kit/clock.js";
import { deviceToken, remember } from "/static/server/kit/device.js";
import { hidePairing, showPairing } from "./pairing.js";
import { announcement, fields, fitTicker, highlight, renderView } from "./render.js";

const CLOSE_FORBIDDEN = 4403;

const root = document.getElementById("display");
const pairing = document.getElementById("pairing");
const text = JSON.parse(document.getElementById("display-text").textContent);
const zone = root.dataset.zone;
const tokenKey = `antrean.display.device.${zone}`; // kept per zone
const f = fields(root);
const tracker = new CallTracker();
syncTo(root.dataset.serverNow);
keepInSync();
const clock = startClock({
  time: f.time, date: f.date, zone: f.tz, timeZone: root.dataset.timezone, locale: text.locale,
});
let connection = null; // {handle} of the live session; a stale one's reports are ignored
startAnnouncing({ zone, prompt: f.sound, send: (message) => connection?.handle?.send(message) });

function start(token) {
  if (!token) {
    unpaired();
    return;
  }
  hidePairing(pairing);
  root.hidden = false;
  // connect() reports "connecting" at once, so the session must exist before it returns.
  const mine = { handle: null };
  connection = mine;
  mine.handle = connect({
    topics: [`zone:${zone}`],
    device: token,
    onMessage: ({ data }) => { if (connection === mine) show(data); },
    onNotice: (message) => {
      if (connection === mine && message.type === "role") speaks(Boolean(message.speaker));
    },
    onStatus: (status, code) => {
      if (connection !== mine) return;
      if (status === "offline" && code === CLOSE_FORBIDDEN) {
        unpaired();
        return;
      }
      root.dataset.status = status;
      // Off the server, this screen is nobody's speaker: calls replayed on reconnect may have
      // been played by the screen that spoke meanwhile. The server repeats the role on joining.
      if (status !== "online") speaks(false);
      // "connecting" keeps the marker as it was: a reconnect is not back online yet.
      if (status !== "connecting") f.offline.hidden = status === "online";
    },
  });
}

function speaks(speaker) {
  root.dataset.speaker = String(speaker);
  setSpeaker(speaker);
}

function unpaired() {
  if (connection?.handle) connection.handle.close();
  connection = null;
  speaks(false);
  root.hidden = true;
  showPairing(pairing, (token) => {
    remember(tokenKey, token);
    start(token);
  });
}

function show(view) {
  const fresh = tracker.fresh(view.calls);
  renderView(f, view, text);
  clock.setTimeZone(view.timezone);
  root.dataset.ready = "true";
  if (!fresh.length) return;
  if (fresh.includes(view.calls[0])) highlight(f.now, view.calls[0]);
  f.live.textContent = fresh.map((call) => announcement(call, text)).join(" ");
  for (const call of fresh) {
    try {
      onNewCall(call);
    } catch (error) {
      console.error("announce.onNewCall failed", error); // the screen goes on regardless
    }
  }
}

addEventListener("resize", () => fitTicker(f));
start(deviceToken(tokenKey));
