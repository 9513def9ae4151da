// The zone's loudspeaker. Each announcement is one WAV (chime and sentence); they play one
// after another in arrival order, never overlapping, scheduled on one AudioContext's clock.
// Only the screen the server names the zone's speaker plays; the screen never waits for it.

import { now as serverNow } from "/static/server/kit/clock.js";

const LEAD_S = 0.05; // a source started "now" may clip its first samples
const RESUME_WAIT_MS = 500; // a blocked context's resume() never settles: stop waiting here
const STALE_MS = 2 * 60 * 1000; // older calls are news that came late (an outage): not recited

/**
 * Is `call` too old to announce (news that came late)? Its age is in the server's time (the
 * kit's clock: the page learned it from the server and counts on with performance.now(), so
 * a screen whose own clock is off, or is set while the page runs, does not age live calls).
 * This is a safety net: after a reconnect the missed calls arrive before the server repeats
 * the speaker role, so a returning screen does not take them on anyway.
 */
export function isStale(call, at = serverNow()) {
  const age = at - Date.parse(call.at);
  if (!Number.isFinite(age)) return false; // no time: better read out than lost
  return age > STALE_MS;
}

/**
 * When context time `at` reaches the loudspeaker, in epoch milliseconds (output latency
 * included): what `make bench-sound` times a call against.
 */
function wallClock(context, at) {
  const stamp = context.getOutputTimestamp?.();
  if (stamp?.performanceTime) {
    return performance.timeOrigin + stamp.performanceTime + (at - stamp.contextTime) * 1000;
  }
  // Before the first render quantum the stamp is empty: count from now, plus the latency.
  const ahead = at - context.currentTime + (context.outputLatency || 0);
  return performance.timeOrigin + performance.now() + ahead * 1000;
}

export class ZonePlayer {
  #context = null;
  #speaker = false;
  #queue = []; // {call, buffer: Promise<AudioBuffer>}, oldest first
  #draining = false;
  #endsAt = 0; // context time at which the last scheduled announcement ends
  #played;
  #report;
  #prompt;
  #log;

  /**
   * played: a PlayedIds; report(call, status) tells the server; prompt: {show(), hide()} of
   * the enable-sound button; log: an array receiving {id, status, startedAt, endedAt,
   * heardUntil, soundAt} (context seconds; soundAt in epoch milliseconds).
   */
  constructor({ played, report, prompt, log }) {
    this.#played = played;
    this.#report = report;
    this.#prompt = prompt;
    this.#log = log;
  }

  /** The server's word on whether this screen speaks for its zone. */
  setSpeaker(speaker) {
    this.#speaker = speaker;
    if (speaker) {
      this.#unlock(); // ask for the tap now, not when the first call is already lost
    } else {
      this.#prompt.hide(); // a silent screen needs no sound
    }
  }

  /** A call that just arrived. Calls that arrived before this screen spoke are not its own. */
  enqueue(call) {
    const stale = isStale(call);
    if (!this.#speaker || stale || this.#played.has(call.id)) return;
    this.#played.add(call.id);
    this.#queue.push({ call, buffer: this.#load(call.audio) });
    this.#drain();
  }

  /** Resume audio from a user gesture; must be called synchronously inside the event. */
  enable() {
    const context = this.#ensureContext();
    context.resume().then(() => this.#showState(), () => this.#showState());
  }

  async #drain() {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length) await this.#schedule(this.#queue.shift());
    } finally {
      this.#draining = false;
    }
  }

  /** Start one announcement at the end of the previous one (not waiting for it to end). */
  async #schedule({ call, buffer }) {
    let decoded;
    try {
      decoded = await buffer;
    } catch (error) {
      console.warn(`announcement ${call.id}: no audio`, error);
      this.#finish(call, "failed");
      return;
    }
    if (!(await this.#unlock())) {
      this.#finish(call, "blocked");
      return;
    }
    const context = this.#context;
    const source = context.createBufferSource();
    source.buffer = decoded;
    source.connect(context.destination);
    const startedAt = Math.max(context.currentTime + LEAD_S, this.#endsAt);
    this.#endsAt = startedAt + decoded.duration;
    const endedAt = this.#endsAt;
    const soundAt = wallClock(context, startedAt);
    source.onended = () =>
      this.#finish(call, "played", { startedAt, endedAt, heardUntil: context.currentTime, soundAt });
    source.start(startedAt);
  }

  async #load(url) {
    const answer = await fetch(url);
    if (!answer.ok) throw new Error(`${url}: HTTP ${answer.status}`);
    return this.#ensureContext().decodeAudioData(await answer.arrayBuffer());
  }

  /** True once the context runs; shows the prompt while the browser keeps it suspended. */
  async #unlock() {
    const context = this.#ensureContext();
    if (context.state !== "running") {
      const settled = context.resume().catch(() => {});
      await Promise.race([settled, new Promise((done) => setTimeout(done, RESUME_WAIT_MS))]);
    }
    this.#showState();
    return context.state === "running";
  }

  #showState() {
    if (this.#context?.state === "running" || !this.#speaker) this.#prompt.hide();
    else this.#prompt.show();
  }

  #ensureContext() {
    if (!this.#context) {
      this.#context = new AudioContext();
      this.#context.addEventListener("statechange", () => this.#showState());
    }
    return this.#context;
  }

  #finish(call, status, times = {}) {
    this.#log.push({ id: call.id, status, startedAt: null, ...times });
    this.#report(call, status);
  }
}
