// A visitor's view modes, high contrast and large text, remembered on this device.
//
// A classic script in <head>, not a module: it sets data-contrast="high" and
// data-text="large" on <html> before the first paint, so a page never flashes the other
// mode. Any button with data-view-mode="contrast" or "text" toggles its mode and shows
// it with aria-pressed. Storage may be refused (a private tab, a locked-down kiosk
// profile): the mode then lasts for the page only.
(() => {
  const KEY = "antrean.view-modes";
  const VALUES = { contrast: "high", text: "large" };
  const root = document.documentElement;
  let modes = {};

  function load() {
    try {
      const saved = JSON.parse(localStorage.getItem(KEY) || "{}");
      modes = Object.fromEntries(Object.keys(VALUES).map((name) => [name, saved[name] === true]));
    } catch {
      // Unreadable or refused: keep what this page has.
    }
  }

  function save() {
    try {
      localStorage.setItem(KEY, JSON.stringify(modes));
    } catch {
      // Not remembered; the page still shows the chosen mode.
    }
  }

  function apply() {
    for (const [name, value] of Object.entries(VALUES)) {
      if (modes[name]) root.setAttribute(`data-${name}`, value);
      else root.removeAttribute(`data-${name}`);
    }
    for (const button of document.querySelectorAll("[data-view-mode]")) {
      button.setAttribute("aria-pressed", modes[button.dataset.viewMode] ? "true" : "false");
    }
  }

  function clicked(event) {
    const button = event.target.closest?.("[data-view-mode]");
    const mode = button?.dataset.viewMode;
    if (!(mode in VALUES)) return;
    modes[mode] = !modes[mode];
    save();
    apply();
  }

  load();
  apply();
  document.addEventListener("DOMContentLoaded", apply);
  document.addEventListener("click", clicked);
  // The same phone changed the mode in another tab: follow it.
  addEventListener("storage", (event) => {
    if (event.key !== KEY) return;
    load();
    apply();
  });
})();
