// Voice guidance ("Panduan suara"): the kiosk reads its screens, the focused choice and the
// issued ticket aloud, for visitors who cannot read the screen. What is said is a list of
// clip keys: each tile's and the ticket's `say` from the server, and the fixed phrases and
// buttons' `data-say` of the page (audio/guide.py names them all). /kiosk/api/say.wav joins
// them from the clips the hall's announcements use, so guidance works offline. Anything
// new to say cuts what is playing, as a screen reader does when the focus moves.

import { deviceToken } from "./kiosk-api.js";

const LOG_KEPT = 200; // utterances kept in the log (a kiosk page runs for days)
export const MAX_SAID = 80; // clips in one utterance (audio/guide.py); more are read on focus

export class VoiceGuide {
  #context = null;
  #playing = null; // {source, entry}
  #asked = 0; // the newest utterance: one that loads after a newer one is dropped
  #button;

  /** `button` is the "Panduan suara" toggle; `log` receives {clips, status} per utterance
   * (the last LOG_KEPT). */
  constructor(button, log) {
    this.#button = button;
    this.on = false;
    this.log = log;
  }

  /** Turn guidance on (saying how to use it, then `words`) or off. Call it inside the
   * user's gesture: that is when a browser lets audio start. */
  toggle(words = []) {
    if (this.on) {
      this.speak(["panduan_mati"]);
      this.#set(false);
    } else {
      this.#set(true);
      this.#context ??= new AudioContext();
      this.#context.resume().catch(() => {});
      this.speak(["panduan_aktif", ...words]);
    }
  }

  /** Guidance ends with its visitor: the kiosk going back to its start screen by itself. */
  off() {
    this.#asked += 1; // an utterance still loading is dropped too
    this.#stop();
    this.#set(false);
  }

  /** Say `keys` now, cutting anything still playing; nothing while guidance is off. */
  speak(keys) {
    if (!this.on || !keys.length) return;
    keys = keys.slice(0, MAX_SAID);
    const asked = ++this.#asked;
    this.#stop();
    const entry = { clips: keys, status: "loading" };
    this.log.push(entry);
    if (this.log.length > LOG_KEPT) this.log.splice(0, this.log.length - LOG_KEPT);
    this.#play(keys, asked, entry);
  }

  #set(on) {
    this.on = on;
    this.#button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  async #play(keys, asked, entry) {
    entry.clips = keys; // what is asked of the server, after any shortening
    try {
      const answer = await fetch(`/kiosk/api/say.wav?clips=${keys.join(".")}`, {
        headers: { "X-Device-Token": deviceToken() },
      });
      // Longer than the server joins (a venue of very many tenants): say the first half,
      // the lead first; every choice is still read when the focus reaches it.
      if (answer.status === 413 && keys.length > 2) {
        return this.#play(keys.slice(0, Math.ceil(keys.length / 2)), asked, entry);
      }
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
      const buffer = await this.#context.decodeAudioData(await answer.arrayBuffer());
      if (asked !== this.#asked) {
        entry.status = "cut";
        return;
      }
      const source = this.#context.createBufferSource();
      source.buffer = buffer;
      source.connect(this.#context.destination);
      source.onended = () => {
        if (entry.status === "playing") entry.status = "played";
        if (this.#playing?.source === source) this.#playing = null;
      };
      entry.status = "playing";
      entry.seconds = buffer.duration;
      this.#playing = { source, entry };
      source.start();
    } catch (error) {
      entry.status = "failed";
      console.warn(`voice guidance: ${keys.join(" ")}`, error);
    }
  }

  #stop() {
    if (!this.#playing) return;
    const { source, entry } = this.#playing;
    this.#playing = null;
    entry.status = "cut";
    source.onended = null;
    source.stop();
  }
}

/** The words of a tile or button: its `data-say` keys ("a.b.c"), or none. */
export function wordsOf(element) {
  const said = element?.closest?.("[data-say]")?.dataset.say;
  return said ? said.split(".") : [];
}

