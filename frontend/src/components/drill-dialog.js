// Drill to detail: the rows behind a chart's mark on a dashboard (its source's rows under the
// dashboard's filters and the mark's values, run as you), a page at a time in a grid, with
// Previous / Next and an Export button (CSV of the same rows, capped as exports are).
import { post } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { download } from "../lib/download.js";
import { count } from "../lib/format.js";
import { openDialog } from "./dialog.js";
import { resultsTable } from "./grid.js";

export const DRILL_PAGE = 100;

/** A mark's value as the API takes it: Vega's dates become ISO text; other objects, text. */
export function pointValue(value) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value === undefined) return null;
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return value;
}

/** The words for what the rows are: `channel = web · region = EMEA`. */
export function describePoint(point) {
  const pairs = Object.entries(point || {}).map(
    ([column, value]) => `${column} = ${value === null ? "NULL" : String(value)}`,
  );
  return pairs.length ? pairs.join(" · ") : "every row";
}

/** What the pager says: `Rows 1–100 of 1,234` (and that a capped run holds no more). */
export function pageInfo(page) {
  if (page.total_rows === 0) return "No rows";
  const first = page.offset + 1;
  const last = page.offset + page.rows.length;
  const more = page.truncated ? " (the first rows only: the row cap stopped the query)" : "";
  return `Rows ${count(first)}–${count(last)} of ${count(page.total_rows)}${more}`;
}

/**
 * Open the rows behind a mark: `filters` are the dashboard's filter values as the tiles use
 * them (lib/filters.js), `point` is {column: value, ...} of the mark's dimensions; `title` (a
 * chart's name) heads the dialog. Returns the dialog's handle ({dialog, close, ...}).
 */
export function openDrill({ dashboardId, chartId, filters = [], point = {}, title = null }) {
  const path = `/api/v1/dashboards/${encodeURIComponent(dashboardId)}/charts/${encodeURIComponent(chartId)}/rows`;
  const mark = Object.fromEntries(Object.entries(point || {}).map(([k, v]) => [k, pointValue(v)]));
  const body = { filters: filters || [], point: mark };
  const rows = h(
    "div",
    { class: "drill-rows", "data-testid": "drill-rows", tabindex: "0", "aria-busy": "true" },
    h("p", { class: "empty" }, "Loading…"),
  );
  const info = h("span", { class: "page-info", "data-testid": "drill-page-info", "aria-live": "polite" });
  const previous = h(
    "button",
    { type: "button", class: "small", disabled: true, "data-testid": "drill-previous" },
    "‹ Previous",
  );
  const next = h(
    "button",
    { type: "button", class: "small", disabled: true, "data-testid": "drill-next" },
    "Next ›",
  );
  const sql = h(
    "details",
    { class: "drill-sql", hidden: true },
    h("summary", {}, "SQL"),
    h("pre", { class: "mono" }),
  );
  let current = null;
  let loading = 0;

  async function load(offset) {
    const ticket = ++loading;
    rows.setAttribute("aria-busy", "true");
    previous.disabled = next.disabled = true;
    try {
      const page = await post(path, { ...body, offset, limit: DRILL_PAGE });
      if (ticket !== loading) return;
      current = page;
      replace(
        rows,
        page.columns.length
          ? resultsTable(page, { testId: "drill-table", rowTestId: "drill-row" })
          : h("p", { class: "empty" }, "The source has no columns."),
      );
      rows.scrollTop = 0;
      info.textContent = pageInfo(page);
      previous.disabled = page.previous_offset === null;
      next.disabled = page.next_offset === null;
      sql.hidden = !page.sql;
      if (page.sql) sql.querySelector("pre").textContent = page.sql;
    } catch (error) {
      if (ticket !== loading) return;
      replace(
        rows,
        h("p", { class: "error-message empty", role: "alert", "data-testid": "drill-error" }, error.message),
      );
      info.textContent = "";
    } finally {
      if (ticket === loading) rows.removeAttribute("aria-busy");
    }
  }

  previous.addEventListener("click", () => current && load(current.previous_offset));
  next.addEventListener("click", () => current && load(current.next_offset));

  const handle = openDialog({
    title: title ? `Rows behind ${title}` : "Rows behind this",
    testid: "drill-dialog",
    wide: true,
    cancel: "Close",
    body: [
      h(
        "p",
        { class: "drill-summary", "data-testid": "drill-summary" },
        describePoint(mark),
        filters?.length ? ", under the dashboard's filters" : "",
      ),
      rows,
      h("div", { class: "drill-pager" }, previous, info, next),
      sql,
    ],
    actions: [{ label: "Export CSV", value: "export", testid: "drill-export" }],
    onSubmit: async () => {
      await download(`${path}/export`, { body, fallback: "rows.csv" });
      return false;
    },
  });
  handle.dialog.classList.add("drill-dialog");
  load(0);
  return handle;
}
