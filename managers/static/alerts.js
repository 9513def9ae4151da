// The alert list: newest problems first, a beep once per new alert, acknowledgement buttons.

import { command } from "/static/server/kit/api.js";
import { el } from "/static/server/kit/dom.js";
import { fill, pick } from "/static/server/kit/i18n.js";

const SEEN_KEY = "antrean-alerts-seen";
// A manager waits at the button: resend through a short outage, then say so.
const GIVE_UP_AFTER = 15000; // ms

export class AlertList {
  constructor({ list, empty, count, text, time, csrf }) {
    Object.assign(this, { list, empty, count, text, time, csrf });
    this.seen = new Set(JSON.parse(sessionStorage.getItem(SEEN_KEY) || "[]"));
    this.sound = true;
    this.audio = null;
    this.pending = new Map(); // alert id -> error message of a failed acknowledgement
  }

  render(alerts) {
    this.list.replaceChildren(...alerts.map((alert) => this.item(alert)));
    this.empty.hidden = alerts.length > 0;
    this.empty.textContent = this.text.no_alerts;
    const open = alerts.filter((alert) => !alert.acknowledged_by).length;
    this.count.textContent = alerts.length ? `(${open}/${alerts.length})` : "";
    this.beepForNew(alerts);
  }

  item(alert) {
    const acknowledged = alert.acknowledged_by ? " is-acknowledged" : "";
    const item = el("li", {
      class: `alert alert-${alert.kind}${acknowledged}`,
      dataset: { alertId: alert.id, kind: alert.kind },
    });
    const since = fill(this.text.since, { time: this.time(alert.since) });
    item.append(
      el("p", { class: "alert-text", text: pick(alert.text, alert.text_en) }),
      el("p", { class: "alert-since muted", text: since }),
    );
    if (alert.link) item.append(el("a", { class: "alert-link", href: alert.link, text: this.text.open_link }));
    if (alert.acknowledged_by) {
      const by = { by: alert.acknowledged_by, time: this.time(alert.acknowledged_at) };
      item.append(el("p", { class: "alert-ack", text: fill(this.text.acknowledged, by) }));
    } else {
      const button = el("button", { type: "button", class: "btn btn-primary alert-button", text: this.text.acknowledge });
      button.addEventListener("click", () => this.acknowledge(alert.id, button));
      item.append(button);
      const failed = this.pending.get(alert.id);
      if (failed) item.append(el("p", { class: "alert-error", text: failed }));
    }
    return item;
  }

  async acknowledge(id, button) {
    button.disabled = true;
    button.textContent = this.text.acknowledging;
    this.unlockAudio();
    const answer = await command(
      { type: "acknowledge_alert", alert: id },
      { csrf: this.csrf, giveUpAfter: GIVE_UP_AFTER, words: { network: this.text.offline } },
    );
    if (answer.ok) { this.pending.delete(id); return; } // the live view shows who and when
    this.pending.set(id, answer.message);
    button.disabled = false;
    button.textContent = this.text.acknowledge;
    button.after(el("p", { class: "alert-error", text: answer.message }));
  }

  beepForNew(alerts) {
    const fresh = alerts.filter((alert) => !alert.acknowledged_by && !this.seen.has(alert.id));
    if (!fresh.length) return;
    for (const alert of fresh) this.seen.add(alert.id);
    sessionStorage.setItem(SEEN_KEY, JSON.stringify([...this.seen].slice(-500)));
    if (this.sound) this.beep();
  }

  unlockAudio() {
    // Browsers start audio only after a gesture: any click on the page unlocks it.
    if (!this.audio && window.AudioContext) this.audio = new AudioContext();
    if (this.audio && this.audio.state === "suspended") this.audio.resume();
  }

  beep() {
    this.unlockAudio();
    document.body.dataset.beeps = String(Number(document.body.dataset.beeps || 0) + 1);
    if (!this.audio) return;
    const start = this.audio.currentTime + 0.02;
    for (const [offset, pitch] of [[0, 880], [0.22, 660]]) {
      const tone = this.audio.createOscillator();
      const gain = this.audio.createGain();
      tone.frequency.value = pitch;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.3, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      tone.connect(gain).connect(this.audio.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.2);
    }
  }
}
