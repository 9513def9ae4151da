// Pairing: a hall screen proves it may show a zone with a device token.
// The token arrives once in the address (?device=TOKEN), is kept in localStorage per zone and
// removed from the address bar, so it is neither bookmarked nor shown on the hall screen.

const PARAM = "device";

const memory = new Map(); // fallback when localStorage is unavailable

function storageKey(zone) {
  return `antrean.display.device.${zone}`;
}

/** The token for `zone`: taken from the address (and stored) or the one stored before. */
export function deviceToken(zone) {
  const url = new URL(location.href);
  const given = url.searchParams.get(PARAM);
  if (given !== null) {
    url.searchParams.delete(PARAM);
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    if (given.trim()) remember(zone, given.trim());
  }
  return stored(zone);
}

export function remember(zone, token) {
  try {
    localStorage.setItem(storageKey(zone), token);
  } catch {
    // Storage may be disabled (kiosk profiles); the token then lasts until the next load.
  }
  memory.set(zone, token);
}

function stored(zone) {
  try {
    return localStorage.getItem(storageKey(zone)) || memory.get(zone) || "";
  } catch {
    return memory.get(zone) || "";
  }
}

let pending = null; // the listener of the prompt on screen, so a second prompt replaces it

/** Show the full-screen pairing prompt; `onToken(token)` gets what is typed or pasted. */
export function showPairing(section, onToken) {
  const form = section.querySelector("[data-field=pairing-form]");
  const input = form.querySelector("input");
  if (pending) form.removeEventListener("submit", pending);
  pending = (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    form.removeEventListener("submit", pending);
    pending = null;
    input.value = "";
    onToken(token);
  };
  form.addEventListener("submit", pending);
  section.hidden = false;
  input.focus();
}

export function hidePairing(section) {
  section.hidden = true;
}
