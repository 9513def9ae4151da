// Sound and vibration for "almost your turn" and "called". Phones allow both only after the
// visitor touched the page, hence the one-time "Aktifkan suara & getar" button; without it
// the page still updates and the screen reader still speaks, just silently.

let audio = null;

export function supported() {
  return Boolean(window.AudioContext || window.webkitAudioContext || navigator.vibrate);
}

/** Call inside the button's click: unlocks audio and vibration, and confirms with a beep. */
export function arm() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (Context && !audio) {
    try { audio = new Context(); } catch { audio = null; }
  }
  if (audio && audio.state === "suspended") audio.resume().catch(() => {});
  beep([660], 0.12);
  vibrate([80]);
}

export function vibrate(pattern) {
  try {
    if (navigator.vibrate) navigator.vibrate(pattern);
  } catch {
    // Some browsers throw instead of ignoring a blocked vibration: nothing to do.
  }
}

/** Short tones, one after the other (Web Audio, no sound file to download). */
export function beep(tones, seconds = 0.18) {
  if (!audio || audio.state !== "running") return;
  let at = audio.currentTime + 0.02;
  for (const hz of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.4, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + seconds + 0.02);
    at += seconds + 0.06;
  }
}

export function soon() {
  vibrate([200, 100, 200]);
  beep([660, 880]);
}

export function called() {
  vibrate([500, 150, 500, 150, 500]);
  beep([880, 660, 880, 660], 0.25);
}
