// The venue's time, as well as the page can know it: the server's clock (the one the queue
// stamps every event with) read when the page was rendered, plus the time since. Timers
// count from server timestamps, so a PC whose clock is a few minutes off must not show
// "-02:10" or "63 min", and a hall display shows the venue's time, not the screen's.

let offset = 0; // server time minus this page's clock, in ms

/** Learn the offset from a server timestamp taken when the page was rendered. */
export function syncTo(serverIso) {
  const server = Date.parse(serverIso);
  if (Number.isNaN(server)) return;
  // The timestamp was taken when the page was sent; count the time it took to load since.
  const [navigation] = performance.getEntriesByType("navigation");
  const age = navigation ? Math.max(0, performance.now() - navigation.responseStart) : 0;
  offset = server + age - Date.now();
}

export function now() {
  return Date.now() + offset;
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
