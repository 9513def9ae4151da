// A figures table: columns from the page, rows from the live view, sortable by any column.
// Data only ever goes in through textContent.

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
    this.head = document.createElement("thead");
    this.body = document.createElement("tbody");
    table.replaceChildren(this.head, this.body);
    this.renderHead();
  }

  renderHead() {
    const row = document.createElement("tr");
    for (const [key, heading, kind] of this.columns) {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.dataset.kind = kind;
      const sorted = key === this.sortKey;
      cell.setAttribute("aria-sort", sorted ? (this.descending ? "descending" : "ascending") : "none");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.dataset.sort = key;
      button.textContent = heading;
      const arrow = document.createElement("span");
      arrow.setAttribute("aria-hidden", "true");
      arrow.textContent = sorted ? (this.descending ? " ▼" : " ▲") : "";
      button.append(arrow);
      button.addEventListener("click", () => this.sortBy(key));
      cell.append(button);
      row.append(cell);
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
    const line = document.createElement("tr");
    line.dataset.id = row.id;
    const extra = this.rowClass(row);
    if (extra) line.className = extra;
    this.columns.forEach(([key, , kind], index) => {
      const cell = document.createElement(index === 0 ? "th" : "td");
      if (index === 0) cell.scope = "row";
      cell.dataset.column = key;
      cell.dataset.kind = kind;
      cell.textContent = this.format(kind, row[key]);
      line.append(cell);
    });
    return line;
  }
}
