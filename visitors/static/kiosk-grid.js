// Arrow keys between tiles: left/right step, up/down jump a row (as many tiles as the
// grid shows per row at this screen size). Tab and Enter work as on any page.

function columns(grid) {
  const template = getComputedStyle(grid).gridTemplateColumns;
  return Math.max(1, template.split(" ").filter(Boolean).length);
}

const STEP = { ArrowLeft: -1, ArrowRight: 1 };

export function arrowNavigation(root) {
  root.addEventListener("keydown", (event) => {
    const grid = event.target.closest?.(".k-grid");
    if (!grid || event.altKey || event.ctrlKey || event.metaKey) return;
    const tiles = [...grid.querySelectorAll(".k-tile")];
    const index = tiles.indexOf(event.target);
    if (index < 0) return;
    let step = STEP[event.key];
    if (event.key === "ArrowUp") step = -columns(grid);
    if (event.key === "ArrowDown") step = columns(grid);
    if (!step) return;
    const next = tiles[Math.min(tiles.length - 1, Math.max(0, index + step))];
    event.preventDefault();
    next.focus();
  });
}
