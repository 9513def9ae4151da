// The recording studio (/manager/voice): every clip of the venue's vocabulary, recorded with
// the browser's microphone or sent as a file, heard back, chosen again or dropped.
//
// The microphone gives whatever the browser records (WebM/Opus in Chromium, Ogg/Opus in
// Firefox, MP4/AAC in Safari); the page decodes it itself (Web Audio) and sends a plain WAV
// at the clips' rate, so the server needs no codec of its own. The server trims, matches
// loudness, stores the take and answers with the clip as it now is.

import { el } from "/static/server/kit/dom.js";
import { fill } from "/static/server/kit/i18n.js";

const data = JSON.parse(document.getElementById("studio-clips").textContent);
const words = JSON.parse(document.getElementById("studio-text").textContent);
const csrf = document.querySelector('meta[name="csrf"]').content;
const CLIP_RATE = 22050; // the clip format's rate (audio/pcm.py)
const MAX_SECONDS = data.max_take + 3; // a pause before and after the words, at most

const canRecord = Boolean(
  window.isSecureContext && navigator.mediaDevices?.getUserMedia && window.MediaRecorder,
);
document.getElementById("no-mic").hidden = canRecord;

// Key -> the clip as the server last said it ({key, text, group, recorded, takes, audio}).
const clips = new Map();
const rows = new Map(); // key -> its <li>
const player = new Audio();
let progress = { recorded: data.recorded, total: data.total };
const PACK_RESULT = "antrean.voice-pack-result";

// -- the list ------------------------------------------------------------------------------

function button(label, act, extra = {}) {
  return el("button", { class: "btn", type: "button", dataset: { act }, ...extra }, label);
}

function makeRow(clip) {
  const said = clip.text || words.bell;
  const upload = el("input", {
    type: "file", accept: "audio/*", class: "visually-hidden", id: `file-${clip.key}`,
    dataset: { act: "upload" },
  });
  const row = el(
    "li",
    { class: "clip", id: `clip-${clip.key}`, dataset: { key: clip.key } },
    el("div", { class: "clip-say" },
      el("span", { class: "clip-text", text: said }),
      el("code", { class: "clip-key", text: clip.key })),
    el("span", { class: "clip-state", dataset: { f: "state" } }),
    el("div", { class: "clip-actions" },
      button(`▶ ${words.listen}`, "play", { "aria-label": `${words.listen}: ${said}` }),
      button(`● ${words.record}`, "record", {
        class: "btn btn-primary", "aria-label": `${words.record}: ${said}`, disabled: !canRecord,
      }),
      el("label", { class: "btn", for: upload.id, text: words.upload }),
      upload,
      button(words.use_synthetic, "synthetic")),
    el("p", { class: "clip-result", role: "status", "aria-live": "polite", dataset: { f: "result" } }),
    el("details", { class: "takes", dataset: { f: "takes" } }),
  );
  rows.set(clip.key, row);
  return row;
}

function showClip(clip) {
  clips.set(clip.key, clip);
  const row = rows.get(clip.key);
  row.dataset.recorded = String(clip.recorded);
  const state = row.querySelector("[data-f=state]");
  state.textContent = clip.recorded ? `✓ ${words.recorded}` : words.synthetic;
  row.querySelector("[data-act=synthetic]").hidden = !clip.recorded;
  const takes = row.querySelector("[data-f=takes]");
  takes.hidden = clip.takes.length === 0;
  const open = takes.open;
  takes.replaceChildren(
    el("summary", { text: fill(words.takes, { count: clip.takes.length }) }),
    el("ol", {}, ...clip.takes.map((take) => takeLine(clip, take))),
  );
  takes.open = open;
}

function takeLine(clip, take) {
  const line = fill(words.take_line, {
    at: take.at, by: take.by, seconds: decimal(take.seconds), source: words[`source_${take.source}`],
  });
  return el("li", { class: take.chosen ? "take chosen" : "take", dataset: { take: take.id } },
    el("span", { text: line }),
    button(`▶ ${words.listen}`, "play-take", { dataset: { act: "play-take", url: take.audio } }),
    take.chosen
      ? el("strong", { text: words.in_use })
      : button(words.use_take, "choose", { dataset: { act: "choose", take: take.id } }));
}

function decimal(value, digits = 1) {
  const lang = document.documentElement.lang === "en" ? "en" : "id";
  return value.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function showProgress(answer) {
  progress = { recorded: answer.recorded, total: answer.total };
  document.getElementById("progress-text").textContent = fill(words.progress, progress);
  const bar = document.getElementById("progress-bar");
  bar.value = progress.recorded;
  bar.max = progress.total;
  for (const [group] of data.groups) groupCount(group);
}

function groupCount(group) {
  const members = [...clips.values()].filter((clip) => clip.group === group);
  const recorded = members.filter((clip) => clip.recorded).length;
  const text = fill(words.group_progress, { recorded, total: members.length });
  for (const node of document.querySelectorAll(`[data-count="${group}"]`)) node.textContent = text;
}

function build() {
  const nav = document.getElementById("group-nav");
  const holder = document.getElementById("groups");
  for (const [group, name, members] of data.groups) {
    const list = el("ol", { class: "clips" }, ...members.map(makeRow));
    holder.append(el("section", { class: "group", id: `group-${group}` },
      el("h2", {}, name, " ", el("span", { class: "group-count muted", dataset: { count: group } })),
      list));
    nav.append(el("a", { href: `#group-${group}` }, name, " ",
      el("span", { class: "muted", dataset: { count: group } })));
    for (const clip of members) showClip(clip);
  }
  for (const [group] of data.groups) groupCount(group);
}

function say(key, text) {
  rows.get(key).querySelector("[data-f=result]").textContent = text;
}

// -- talking to the server -----------------------------------------------------------------

/** POST `body` (bytes or JSON) -> the answer, or {ok: false, message} for a lost
 * connection or an answer that is not ours (a proxy's 413 page). Never throws. */
async function send(path, body, type) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      body,
      headers: { "Content-Type": type, "X-CSRF-Token": csrf },
      credentials: "same-origin",
    });
    if ((response.headers.get("content-type") || "").includes("application/json")) {
      return await response.json();
    }
  } catch {
    // No answer, or one cut off half way.
    return { ok: false, code: "network", message: words.offline };
  }
  return { ok: false, code: "http", message: fill(words.server, { status: response.status }) };
}

async function upload(key, audio, source) {
  say(key, words.saving);
  const query = source === "file" ? "?source=file" : "";
  const answer = await send(`/manager/voice/clips/${key}${query}`, audio, audio.type || "audio/wav");
  if (!answer.ok) {
    say(key, answer.message);
    if (answer.code === "network") offerResend(key, audio, source);
    return;
  }
  showClip(answer.clip);
  showProgress(answer);
  say(key, fill(words.saved, { seconds: decimal(answer.seconds) }));
  play(answer.take.audio); // heard back at once
}

function offerResend(key, audio, source) {
  const again = button(words.send_again, "resend");
  again.addEventListener("click", () => { again.remove(); upload(key, audio, source); }, { once: true });
  rows.get(key).querySelector("[data-f=result]").append(" ", again);
}

async function choose(key, take) {
  const answer = await send(`/manager/voice/clips/${key}/choice`, JSON.stringify({ take }), "application/json");
  if (!answer.ok) return say(key, answer.message);
  showClip(answer.clip);
  showProgress(answer);
  say(key, take ? words.chosen : words.cleared);
}

function play(url) {
  player.pause();
  player.src = url;
  player.play().catch(() => {});
}

// -- recording -----------------------------------------------------------------------------

// The room as it is: no voice-call processing, which would pump the level and cut the ends
// of words; the server matches the loudness afterwards.
const MICROPHONE = { audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
let microphone = null; // the promise of the stream, asked for once, kept for the next clip
// The recording under way: {key, starting, cancelled, chunks, recorder, tick}. Each one's
// handlers hold their own object: a recording still stopping never touches the next one.
let recording = null;

async function openMicrophone() {
  if (microphone) {
    const stream = await microphone.catch(() => null);
    if (stream?.active) return stream;
    microphone = null; // unplugged, or the permission taken back: ask again
  }
  microphone = navigator.mediaDevices.getUserMedia(MICROPHONE);
  try {
    return await microphone;
  } catch (error) {
    microphone = null;
    throw error;
  }
}

async function startRecording(key) {
  if (recording?.starting) return; // a second press while the browser asks for the microphone
  if (recording) stopRecording();
  const mine = { key, starting: true, cancelled: false, chunks: [] };
  recording = mine;
  say(key, words.asking_mic);
  const row = rows.get(key);
  const recordButton = row.querySelector("[data-act=record]");
  const over = (message) => {
    clearInterval(mine.tick);
    if (recording === mine) recording = null;
    row.classList.remove("recording");
    recordButton.textContent = `● ${words.record}`;
    say(key, message);
  };
  try {
    const stream = await openMicrophone();
    if (mine.cancelled) return over("");
    mine.recorder = new MediaRecorder(stream);
  } catch {
    return over(words.mic_denied);
  }
  mine.starting = false;
  const started = performance.now();
  mine.recorder.addEventListener("dataavailable", (event) => {
    if (event.data.size) mine.chunks.push(event.data);
  });
  mine.recorder.addEventListener("stop", async () => {
    if (mine.cancelled || !mine.chunks.length) return over("");
    over(words.saving);
    let wav;
    try {
      wav = await toWav(new Blob(mine.chunks, { type: mine.recorder.mimeType }));
    } catch {
      return say(key, words.not_decoded);
    }
    upload(key, wav, "studio");
  });
  const tick = () => {
    const elapsed = (performance.now() - started) / 1000;
    say(key, fill(words.recording, { elapsed: decimal(elapsed), limit: MAX_SECONDS }));
    if (elapsed >= MAX_SECONDS && recording === mine) stopRecording();
  };
  try {
    mine.recorder.start();
  } catch {
    return over(words.mic_denied);
  }
  mine.tick = setInterval(tick, 200);
  row.classList.add("recording");
  recordButton.textContent = `■ ${words.stop}`;
  recordButton.focus();
  tick();
}

/** Record `key`, or stop its recording (a second press while the microphone is still
 * being asked for counts once). */
function toggleRecording(key) {
  if (recording?.key !== key) startRecording(key);
  else if (!recording.starting) stopRecording();
}

function stopRecording(cancel = false) {
  const current = recording;
  if (!current) return;
  current.cancelled = current.cancelled || cancel;
  if (current.starting) {
    // Still asking for the microphone: nothing recorded yet, so stopping is cancelling.
    current.cancelled = true;
    return;
  }
  if (current.recorder.state !== "inactive") current.recorder.stop();
}

/** The recording as a mono 16-bit WAV at the clips' rate (the browser resamples). */
async function toWav(blob) {
  const decoder = new OfflineAudioContext(1, 1, CLIP_RATE);
  const audio = await decoder.decodeAudioData(await blob.arrayBuffer());
  const mono = new Float32Array(audio.length);
  for (let channel = 0; channel < audio.numberOfChannels; channel += 1) {
    const samples = audio.getChannelData(channel);
    for (let i = 0; i < samples.length; i += 1) mono[i] += samples[i] / audio.numberOfChannels;
  }
  const bytes = new DataView(new ArrayBuffer(44 + mono.length * 2));
  const text = (at, value) => { for (let i = 0; i < value.length; i += 1) bytes.setUint8(at + i, value.charCodeAt(i)); };
  text(0, "RIFF");
  bytes.setUint32(4, 36 + mono.length * 2, true);
  text(8, "WAVEfmt ");
  bytes.setUint32(16, 16, true);
  bytes.setUint16(20, 1, true); // PCM
  bytes.setUint16(22, 1, true); // mono
  bytes.setUint32(24, audio.sampleRate, true);
  bytes.setUint32(28, audio.sampleRate * 2, true);
  bytes.setUint16(32, 2, true);
  bytes.setUint16(34, 16, true);
  text(36, "data");
  bytes.setUint32(40, mono.length * 2, true);
  for (let i = 0; i < mono.length; i += 1) {
    const sample = Math.max(-1, Math.min(1, mono[i]));
    bytes.setInt16(44 + i * 2, sample < 0 ? sample * 0x8000 : sample * 0x7fff, true);
  }
  return new Blob([bytes.buffer], { type: "audio/wav" });
}

// -- the page's controls -------------------------------------------------------------------

function nextUnrecorded(after) {
  const keys = [...clips.keys()];
  const start = after ? keys.indexOf(after) + 1 : 0;
  return [...keys.slice(start), ...keys.slice(0, start)].find((key) => !clips.get(key).recorded);
}

function focusRow(key) {
  const row = rows.get(key);
  if (!row) return;
  row.scrollIntoView({ block: "center" });
  row.querySelector(canRecord ? "[data-act=record]" : "[data-act=play]").focus();
}

document.getElementById("groups").addEventListener("click", (event) => {
  const target = event.target.closest("[data-act]");
  const row = event.target.closest(".clip");
  if (!target || !row) return;
  const key = row.dataset.key;
  const act = target.dataset.act;
  if (act === "play") play(`${clips.get(key).audio}`);
  else if (act === "play-take") play(target.dataset.url);
  else if (act === "record") toggleRecording(key);
  else if (act === "synthetic") choose(key, null);
  else if (act === "choose") choose(key, target.dataset.take);
});

document.getElementById("groups").addEventListener("change", (event) => {
  if (event.target.dataset.act !== "upload") return;
  const file = event.target.files[0];
  const key = event.target.closest(".clip").dataset.key;
  event.target.value = "";
  if (file) upload(key, file, "file");
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (event.target.closest("input, select, textarea")) return;
  const row = document.activeElement?.closest?.(".clip");
  const key = row?.dataset.key ?? recording?.key;
  const pressed = event.key.toLowerCase();
  if (event.key === "Escape" && recording) stopRecording(true);
  else if (pressed === "r" && key && canRecord) toggleRecording(key);
  else if (pressed === "p" && key) play(clips.get(key).audio);
  else if (pressed === "n") focusRow(nextUnrecorded(key));
  else return;
  event.preventDefault();
});

document.getElementById("preview-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const query = new URLSearchParams(new FormData(event.target));
  const result = document.getElementById("preview-result");
  let answer;
  try {
    const response = await fetch(`/manager/voice/preview?${query}`, { credentials: "same-origin" });
    answer = await response.json();
  } catch {
    answer = { ok: false, message: words.offline };
  }
  if (!answer.ok) {
    result.textContent = answer.message;
    return;
  }
  const list = (recorded) => {
    const said = answer.clips.filter((clip) => clip.recorded === recorded).map((clip) => clip.text || clip.key);
    return said.length ? said.join(", ") : words.none;
  };
  result.textContent = fill(words.preview_parts, { recorded: list(true), synthetic: list(false) });
  play(answer.audio);
});

document.getElementById("pack-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const result = document.getElementById("pack-result");
  result.textContent = words.importing;
  const answer = await send("/manager/voice/pack", file, "application/zip");
  result.textContent = answer.message;
  if (!answer.ok) return;
  // Every row may have changed: read them again, and say what the import did once more.
  sessionStorage.setItem(PACK_RESULT, answer.message);
  window.location.reload();
});

build();
const imported = sessionStorage.getItem(PACK_RESULT);
if (imported) {
  sessionStorage.removeItem(PACK_RESULT);
  document.getElementById("pack-result").textContent = imported;
}
