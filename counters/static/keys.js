// Keyboard shortcuts: one key per action, shown on its button.
// They never fire while typing, while a dialog is open, or with Ctrl/Alt/Meta held; the
// officer can switch them off (WCAG 2.1.4), and the choice is remembered on this PC.

import { dialogOpen } from "./dialogs.js";

const KEYS = {
  n: "call_next",
  r: "recall",
  x: "no_show",
  s: "start_serving",
  d: "done",
  t: "transfer",
  h: "hold",
  c: "call_specific",
};
const STORAGE = "antrean.console.shortcuts";
const TYPING = "input, textarea, select, [contenteditable]";
// Space keeps its own meaning (press the focused control) on anything interactive.
const INTERACTIVE = `${TYPING}, button, a[href], summary, [role=button], [tabindex]:not([tabindex="-1"])`;

function enabled() {
  return localStorage.getItem(STORAGE) !== "off";
}

function actionFor(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return null;
  if (dialogOpen() || !enabled()) return null;
  const target = event.target instanceof Element ? event.target : document.body;
  if (target.closest(TYPING)) return null;
  if (event.key === " ") return target.closest(INTERACTIVE) ? null : "call_next";
  return KEYS[event.key.toLowerCase()] || null;
}

/** Call `trigger(action)` for each shortcut pressed. */
export function setupKeys(trigger) {
  const toggle = document.getElementById("shortcuts-on");
  toggle.checked = enabled();
  toggle.addEventListener("change", () => {
    localStorage.setItem(STORAGE, toggle.checked ? "on" : "off");
    document.body.dataset.shortcuts = toggle.checked ? "on" : "off";
  });
  document.body.dataset.shortcuts = toggle.checked ? "on" : "off";
  document.addEventListener("keydown", (event) => {
    const action = actionFor(event);
    if (!action) return;
    event.preventDefault();
    trigger(action);
  });
}
