// The satisfaction survey's questionnaire (visitors/_questionnaire.html), on the phone page
// and the survey tablet. The server renders one form of nine questions (it works so without
// a script, all on one page); this shows one question at a time, moves on when an answer is
// tapped, and keeps a way back. On the phone answering stays a plain form post; the tablet
// sends it itself (its submit listener sees `defaultPrevented` when a question is open).

const NEXT_AFTER_MS = 250; // the tapped answer shows as chosen before the next question

/** Step through `form`'s questions; returns {restart(), release()}: back to the first
 * question with nothing answered (the next visitor's), and the send button usable again. */
export function stepper(form) {
  const screens = [...form.querySelectorAll("fieldset.q")];
  if (!screens.length) return null;
  form.classList.add("stepping");
  const send = form.querySelector("button[type=submit]");
  let at = 0;

  function answered(screen) {
    const radios = screen.querySelectorAll("input[type=radio]");
    return !radios.length || [...radios].some((radio) => radio.checked);
  }

  function show(index, focus = true) {
    at = Math.max(0, Math.min(index, screens.length - 1));
    screens.forEach((screen, i) => { screen.hidden = i !== at; });
    for (const back of form.querySelectorAll("[data-back]")) back.hidden = false;
    if (focus) {
      const legend = screens[at].querySelector("legend");
      legend.tabIndex = -1;
      legend.focus({ preventScroll: true });
      screens[at].scrollIntoView({ block: "start" });
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.type !== "radio") return;
    const screen = event.target.closest("fieldset.q");
    const index = screens.indexOf(screen);
    setTimeout(() => { if (at === index) show(index + 1); }, NEXT_AFTER_MS);
  });
  form.addEventListener("click", (event) => {
    if (event.target.closest("[data-back]")) show(at - 1);
  });
  form.addEventListener("submit", (event) => {
    const open = screens.findIndex((screen) => !answered(screen));
    if (open !== -1) {
      // A question left open (the way back skipped it): go there instead of sending.
      event.preventDefault();
      show(open);
      return;
    }
    send.disabled = true; // one tap, one post (a second one would be harmless anyway)
  });
  // Back to this page from the browser's history: it may be sent again.
  window.addEventListener("pageshow", () => { send.disabled = false; });
  // Start at the first question left open (all of them, or those a refused post kept).
  const first = screens.findIndex((screen) => !answered(screen));
  show(first === -1 ? screens.length - 1 : first, false);
  return {
    restart() {
      form.reset();
      send.disabled = false;
      show(0, false);
    },
    release() {
      send.disabled = false;
    },
  };
}
