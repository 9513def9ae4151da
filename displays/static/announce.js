// The zone's spoken announcements, wired to the screen: the player, what it remembers, the
// enable-sound prompt, and the reports to the server. display.js calls onNewCall(call) once per
// call this screen sees arrive (a new call or a recall; never the calls already on screen when
// the page loaded, nor again after a reconnect) and setSpeaker() with the server's word.

import { PlayedIds } from "./played.js";
import { ZonePlayer } from "./player.js";
import { soundPrompt } from "./soundprompt.js";

let player = null;

/**
 * Start the player of `zone`. `send(message)` goes to the server over the live connection;
 * `prompt` is the element holding the "Aktifkan suara" button.
 */
export function startAnnouncing({ zone, send, prompt }) {
  // A test and debugging hook: every announcement's outcome, in order, as
  // {id, status: "played" | "blocked" | "failed", startedAt, endedAt} (AudioContext seconds;
  // null unless played) and soundAt (epoch ms of the first sample out). Read it from the
  // console, a browser test or `make bench-sound`; nothing else uses it.
  const log = [];
  window.antreanPlayer = { log };
  player = new ZonePlayer({
    played: new PlayedIds(zone),
    report: (call, status) => send({ type: "audio", call: call.id, status }),
    prompt: soundPrompt(prompt, () => player.enable()),
    log,
  });
}

export function setSpeaker(speaker) {
  player?.setSpeaker(speaker);
}

/** `call` is a CallView: {id, label, counter_label, tenant_name, service_name, at, recall, audio}. */
export function onNewCall(call) {
  player?.enqueue(call);
}
