// The hall screen's pairing prompt, shown when the zone refuses the screen's device token
// (the token itself is kept by the kit's device.js).

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
