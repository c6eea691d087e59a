// Charts drawn as HTML tables: the "table" type (the rows as they came) and the "pivot" type
// (the first dimension down the rows, the other dimensions across, the metrics in the cells).
import { h } from "../lib/dom.js";
import { count } from "../lib/format.js";

/** Rows shown at most in a table chart (the rest is said, not drawn). */
export const MAX_TABLE_ROWS = 1000;
const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

/** Whether a result column holds numbers (its family, which the server sends). */
export const isNumeric = (column) => column.family === "numeric";

/** A cell value as text (null is "NULL", numbers in the browser's locale). */
export function cellText(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") return number.format(value);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function td(value, numeric) {
  const text = cellText(value);
  const nil = value === null || value === undefined;
  return h(
    "td",
    { class: nil ? "null" : numeric ? "num" : null, title: text.length > 40 ? text : null },
    text,
  );
}

/** The rows of chart data as a table. */
export function rowsTable(data) {
  const numeric = data.columns.map(isNumeric);
  const shown = data.rows.slice(0, MAX_TABLE_ROWS);
  return h(
    "div",
    { class: "chart-table-wrap" },
    h(
      "table",
      { class: "grid chart-table", "data-testid": "chart-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          data.columns.map((c, i) =>
            h(
              "th",
              { scope: "col", class: numeric[i] ? "num" : null, title: `${c.name}: ${c.type}` },
              c.name,
            ),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        shown.map((row) =>
          h(
            "tr",
            {},
            row.map((v, i) => td(v, numeric[i])),
          ),
        ),
      ),
    ),
    data.rows.length > shown.length &&
      h(
        "p",
        { class: "muted table-note" },
        `First ${count(shown.length)} of ${count(data.rows.length)} rows.`,
      ),
  );
}

/**
 * Which result columns are dimensions and which metrics: from the chart's spec when known
 * (time column, dimensions, then metrics), from the data if the server says, else guessed
 * (the trailing numeric columns are the metrics, at least one column stays a dimension).
 */
export function columnRoles(data, spec = null) {
  const names = data.columns.map((c) => c.name);
  if (Array.isArray(data.dimensions) && Array.isArray(data.metrics)) {
    return { dimensions: data.dimensions, metrics: data.metrics };
  }
  if (spec) {
    const dimensions = [...(spec.time ? [spec.time.column] : []), ...(spec.dimensions || [])];
    const metrics = names.filter((n) => !dimensions.includes(n));
    if (dimensions.every((d) => names.includes(d))) return { dimensions, metrics };
  }
  let split = data.columns.length;
  while (split > 1 && isNumeric(data.columns[split - 1])) split -= 1;
  if (split === data.columns.length) split = Math.max(1, data.columns.length - 1);
  return { dimensions: names.slice(0, split), metrics: names.slice(split) };
}

const keyOf = (values) => JSON.stringify(values);

/** Group consecutive equal header labels at one level into {label, span} cells. */
function spans(combos, level) {
  const cells = [];
  for (const combo of combos) {
    const prefix = keyOf(combo.slice(0, level + 1));
    const last = cells[cells.length - 1];
    if (last && last.prefix === prefix) last.span += 1;
    else cells.push({ prefix, label: cellText(combo[level]), span: 1 });
  }
  return cells;
}

/**
 * The data of a pivot: `rowKeys` (values of the first dimension, in order of appearance),
 * `colKeys` (combinations of the other dimensions, sorted), and `cell(row, col, metric)`.
 */
export function pivot(data, { dimensions, metrics }) {
  const index = Object.fromEntries(data.columns.map((c, i) => [c.name, i]));
  const [rowDim, ...colDims] = dimensions;
  const rowKeys = [];
  const seenRows = new Set();
  const colMap = new Map();
  const cells = new Map();
  for (const row of data.rows) {
    const rowValue = row[index[rowDim]];
    const rowKey = keyOf([rowValue]);
    if (!seenRows.has(rowKey)) {
      seenRows.add(rowKey);
      rowKeys.push(rowValue);
    }
    const combo = colDims.map((d) => row[index[d]]);
    const colKey = keyOf(combo);
    if (!colMap.has(colKey)) colMap.set(colKey, combo);
    for (const metric of metrics) cells.set(keyOf([rowKey, colKey, metric]), row[index[metric]]);
  }
  const collator = new Intl.Collator(undefined, { numeric: true });
  const colKeys = [...colMap.values()].sort((a, b) => {
    for (let i = 0; i < a.length; i += 1) {
      const order = collator.compare(cellText(a[i]), cellText(b[i]));
      if (order) return order;
    }
    return 0;
  });
  const cell = (rowValue, combo, metric) => cells.get(keyOf([keyOf([rowValue]), keyOf(combo), metric]));
  return { rowDim, colDims, rowKeys, colKeys, cell };
}

/** A pivot table of chart data. */
export function pivotTable(data, roles) {
  if (roles.dimensions.length === 0 || roles.metrics.length === 0) return rowsTable(data);
  const { rowDim, colDims, rowKeys, colKeys, cell } = pivot(data, roles);
  const { metrics } = roles;
  const manyMetrics = metrics.length > 1 || colDims.length === 0;
  const headLevels = colDims.length + (manyMetrics ? 1 : 0);
  const head = [];
  colDims.forEach((dim, level) => {
    head.push(
      h(
        "tr",
        {},
        level === 0 && h("th", { scope: "col", rowspan: String(headLevels), class: "corner" }, rowDim),
        h("th", { scope: "row", class: "dim-name" }, dim),
        spans(colKeys, level).map((c) =>
          h("th", { scope: "colgroup", colspan: String(c.span * metrics.length) }, c.label),
        ),
      ),
    );
  });
  if (manyMetrics) {
    head.push(
      h(
        "tr",
        {},
        colDims.length === 0 && h("th", { scope: "col", class: "corner" }, rowDim),
        colDims.length > 0 && h("th", { class: "dim-name" }),
        colKeys.map(() => metrics.map((m) => h("th", { scope: "col", class: "num" }, m))),
      ),
    );
  }
  const body = rowKeys.map((rowValue) =>
    h(
      "tr",
      {},
      h("th", { scope: "row", colspan: colDims.length > 0 ? "2" : null }, cellText(rowValue)),
      colKeys.map((combo) =>
        metrics.map((m) => {
          const value = cell(rowValue, combo, m);
          return value === undefined ? h("td", { class: "num empty-cell" }) : td(value, true);
        }),
      ),
    ),
  );
  return h(
    "div",
    { class: "chart-table-wrap" },
    h(
      "table",
      { class: "grid chart-table pivot", "data-testid": "chart-pivot" },
      h("thead", {}, head),
      h("tbody", {}, body),
    ),
  );
}
