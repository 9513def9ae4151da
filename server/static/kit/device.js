// Pairing: a hall display or a kiosk proves who it is with a device token.
// The token arrives once in the address (?device=TOKEN), is kept in localStorage under the
// device's own key and removed from the address bar, so it is neither bookmarked nor shown
// on screen.

const PARAM = "device";
const memory = new Map(); // key -> token, when localStorage is unavailable (kiosk profiles)

/** The token kept under `key`: taken from the address (and kept) or the one kept before. */
export function deviceToken(key) {
  const url = new URL(location.href);
  const given = url.searchParams.get(PARAM);
  if (given !== null) {
    url.searchParams.delete(PARAM);
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    if (given.trim()) remember(key, given.trim());
  }
  return stored(key);
}

/** Keep `token` under `key`, in localStorage when it can be, in memory anyway. */
export function remember(key, token) {
  memory.set(key, token);
  try {
    localStorage.setItem(key, token);
  } catch {
    // Storage disabled: the token lasts until the page reloads.
  }
}

function stored(key) {
  try {
    return localStorage.getItem(key) || memory.get(key) || "";
  } catch {
    return memory.get(key) || "";
  }
}
