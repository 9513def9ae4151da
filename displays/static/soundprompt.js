// The "Aktifkan suara" prompt: browsers keep audio off until someone touches the page, unless
// the kiosk browser runs with --autoplay-policy=no-user-gesture-required. One tap (or Enter)
// on the button is that touch.

/** Wire the prompt `section`; `onEnable()` runs inside the click, as browsers require. */
export function soundPrompt(section, onEnable) {
  const button = section.querySelector("button");
  button.addEventListener("click", () => onEnable());
  return {
    show() {
      if (!section.hidden) return;
      section.hidden = false;
      // Keyboard kiosks: Enter right away. Never steal focus from a field being typed in.
      if (!document.activeElement || document.activeElement === document.body) button.focus();
    },
    hide() {
      section.hidden = true;
    },
  };
}
