// Building and updating the page without innerHTML: text goes in as textContent only, so a
// ticket label, a venue name or a visitor's words can never become markup. Lists are updated
// in place so that a live update never steals the keyboard focus from a button.

/**
 * el("li", {class: "x", dataset: {id: "1"}, text: "..."}, child, "text") -> the element.
 * `text` sets textContent; `dataset` fills data-*; true makes an empty attribute; false and
 * null leave it out; anything else is set as an attribute (hence as text, never as markup).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value ?? "";
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value != null) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

/**
 * Make `list`'s children match `items`, one per `item.id`: existing nodes are updated and
 * moved, not recreated. `make(item)` builds a node, `update(node, item)` refreshes it.
 */
export function reconcile(list, items, make, update) {
  const wanted = new Set(items.map((item) => item.id));
  const old = new Map();
  for (const node of [...list.children]) {
    // Stale nodes go first, so the ones that stay keep their place (and their focus).
    if (wanted.has(node.dataset.key)) old.set(node.dataset.key, node);
    else node.remove();
  }
  let cursor = list.firstElementChild;
  for (const item of items) {
    let node = old.get(item.id);
    if (!node) {
      node = make(item);
      node.dataset.key = item.id;
    }
    update(node, item);
    if (node !== cursor) list.insertBefore(node, cursor);
    else cursor = cursor.nextElementSibling;
  }
}

/** Set the text of the element with `id`, touching the page only when it changes. */
export function setText(id, text) {
  const node = document.getElementById(id);
  if (node.textContent !== text) node.textContent = text;
}
