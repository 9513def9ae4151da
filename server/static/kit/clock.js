// The venue's time, as well as the page can know it: the server's clock (the one the queue
// stamps every event with) read when the page was rendered, plus the time since. Timers
// count from server timestamps, so a PC whose clock is a few minutes off must not show
// "-02:10" or "63 min", and a hall display shows the venue's time, not the screen's.
//
// The time since is counted with performance.now(), which runs on whatever the device's own
// clock does: a TV box that boots without a clock and sets it from the network a minute
// later, or a PC whose clock someone corrects, does not move the venue's time on screen.

let base = Date.now(); // the server's time (ms) at `mark`
let mark = performance.now();
const RESYNC_EVERY = 10 * 60 * 1000; // ms; also on becoming visible again (a woken device)

function learn(serverMs, atMark) {
  if (Number.isNaN(serverMs)) return;
  base = serverMs;
  mark = atMark;
}

/** Learn the server's time from a timestamp taken when the page was rendered. */
export function syncTo(serverIso) {
  // The timestamp was taken when the page was sent: it was true at the response's start.
  const [navigation] = performance.getEntriesByType("navigation");
  learn(Date.parse(serverIso), navigation ? navigation.responseStart : performance.now());
}

/**
 * Learn it again now and then from `/healthz` (its `now`, halfway through the round trip):
 * counting from performance.now() drifts a little over days, and stops while a device sleeps.
 */
export function keepInSync({ every = RESYNC_EVERY } = {}) {
  async function sync() {
    const sent = performance.now();
    try {
      const answer = await fetch("/healthz", { cache: "no-store", credentials: "same-origin" });
      const { now: serverIso } = await answer.json();
      if (serverIso) learn(Date.parse(serverIso), (sent + performance.now()) / 2);
    } catch {
      // offline: keep counting from the last time learned
    }
  }
  setInterval(sync, every);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) sync();
  });
  return sync;
}

export function now() {
  return base + (performance.now() - mark);
}

/** Seconds since an ISO timestamp, never negative. */
export function secondsSince(iso) {
  return Math.max(0, Math.floor((now() - Date.parse(iso)) / 1000));
}

/** "mm:ss", or "h:mm:ss" past an hour. */
export function stopwatch(seconds) {
  const two = (n) => String(n).padStart(2, "0");
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
