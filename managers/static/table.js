// A figures table: columns from the page, rows from the live view, sortable by any column.
// Data only ever goes in through textContent.

import { el } from "/static/server/kit/dom.js";

/** Compare two cell values: numbers as numbers, texts by locale; empty values last. */
function compare(a, b, locale) {
  const empty = (v) => v === null || v === undefined || v === "";
  if (empty(a) || empty(b)) return empty(a) - empty(b);
  if (Array.isArray(a)) return compare(a[0], b[0], locale) || compare(a[1], b[1], locale);
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), locale, { numeric: true });
}

export class FiguresTable {
  /**
   * columns: [[key, heading, kind]]; kind is text | int | min | pct | sla.
   * format(kind, value) -> string; rowClass(row) -> extra class names.
   */
  constructor(table, columns, { format, locale, sortKey, descending = true, rowClass = () => "" }) {
    this.table = table;
    this.columns = columns;
    this.format = format;
    this.locale = locale;
    this.sortKey = sortKey || columns[0][0];
    this.descending = descending;
    this.rowClass = rowClass;
    this.rows = [];
    this.head = el("thead");
    this.body = el("tbody");
    table.replaceChildren(this.head, this.body);
    this.renderHead();
  }

  renderHead() {
    const row = el("tr");
    for (const [key, heading, kind] of this.columns) {
      const sorted = key === this.sortKey;
      const order = sorted ? (this.descending ? "descending" : "ascending") : "none";
      const arrow = sorted ? (this.descending ? " ▼" : " ▲") : "";
      const button = el(
        "button",
        { type: "button", class: "sort", dataset: { sort: key }, text: heading },
        el("span", { "aria-hidden": "true", text: arrow }),
      );
      button.addEventListener("click", () => this.sortBy(key));
      row.append(el("th", { scope: "col", dataset: { kind }, "aria-sort": order }, button));
    }
    this.head.replaceChildren(row);
  }

  sortBy(key) {
    // A new column sorts biggest first (the longest wait on top); a second click flips.
    this.descending = key === this.sortKey ? !this.descending : true;
    this.sortKey = key;
    this.renderHead();
    this.render(this.rows);
  }

  render(rows) {
    this.rows = rows;
    const sign = this.descending ? -1 : 1;
    const key = this.sortKey;
    const ordered = [...rows].sort((a, b) => {
      const empty = (v) => v === null || v === undefined || v === "";
      if (empty(a[key]) !== empty(b[key])) return empty(a[key]) ? 1 : -1; // empty always last
      return sign * compare(a[key], b[key], this.locale);
    });
    this.body.replaceChildren(...ordered.map((row) => this.renderRow(row)));
  }

  renderRow(row) {
    const line = el("tr", { class: this.rowClass(row) || null, dataset: { id: row.id } });
    this.columns.forEach(([key, , kind], index) => {
      const cell = el(index === 0 ? "th" : "td", {
        scope: index === 0 ? "row" : null,
        dataset: { column: key, kind },
        text: this.format(kind, row[key]),
      });
      line.append(cell);
    });
    return line;
  }
}
