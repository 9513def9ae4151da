// The alert list: newest problems first, a beep once per new alert, acknowledgement buttons.

const SEEN_KEY = "antrean-alerts-seen";

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a venue LAN may serve plain http.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class AlertList {
  constructor({ list, empty, count, text, time, csrf }) {
    Object.assign(this, { list, empty, count, text, time, csrf });
    this.seen = new Set(JSON.parse(sessionStorage.getItem(SEEN_KEY) || "[]"));
    this.sound = true;
    this.audio = null;
    this.pending = new Map(); // alert id -> error message of a failed acknowledgement
  }

  render(alerts) {
    const english = this.text.lang === "en";
    this.list.replaceChildren(...alerts.map((alert) => this.item(alert, english)));
    this.empty.hidden = alerts.length > 0;
    this.empty.textContent = this.text.no_alerts;
    const open = alerts.filter((alert) => !alert.acknowledged_by).length;
    this.count.textContent = alerts.length ? `(${open}/${alerts.length})` : "";
    this.beepForNew(alerts);
  }

  item(alert, english) {
    const item = document.createElement("li");
    item.className = `alert alert-${alert.kind}${alert.acknowledged_by ? " is-acknowledged" : ""}`;
    item.dataset.alertId = alert.id;
    item.dataset.kind = alert.kind;
    const message = document.createElement("p");
    message.className = "alert-text";
    message.textContent = english ? alert.text_en : alert.text;
    const since = document.createElement("p");
    since.className = "alert-since muted";
    since.textContent = this.text.since.replace("{time}", this.time(alert.since));
    item.append(message, since);
    if (alert.acknowledged_by) {
      const done = document.createElement("p");
      done.className = "alert-ack";
      done.textContent = this.text.acknowledged
        .replace("{by}", alert.acknowledged_by)
        .replace("{time}", this.time(alert.acknowledged_at));
      item.append(done);
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-primary alert-button";
      button.textContent = this.text.acknowledge;
      button.addEventListener("click", () => this.acknowledge(alert.id, button));
      item.append(button);
      const failed = this.pending.get(alert.id);
      if (failed) item.append(Object.assign(document.createElement("p"), { className: "alert-error", textContent: failed }));
    }
    return item;
  }

  async acknowledge(id, button) {
    button.disabled = true;
    button.textContent = this.text.acknowledging;
    this.unlockAudio();
    try {
      const response = await fetch("/api/commands", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrf },
        credentials: "same-origin",
        body: JSON.stringify({ type: "acknowledge_alert", alert: id, command_id: newId() }),
      });
      const answer = await response.json();
      if (answer.ok) { this.pending.delete(id); return; } // the live view shows who and when
      this.pending.set(id, answer.message);
    } catch {
      this.pending.set(id, this.text.offline);
    }
    button.disabled = false;
    button.textContent = this.text.acknowledge;
    button.after(Object.assign(document.createElement("p"), { className: "alert-error", textContent: this.pending.get(id) }));
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
