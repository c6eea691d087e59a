// The results grid: one page of rows at a time, with column types, NULLs and a pager. Numbers
// are right aligned, with thousands separators and their decimals as they came.
import { get } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { count, formatNumber } from "../lib/format.js";
import { PAGE_SIZE } from "../lib/runs.js";
const MAX_TITLE = 2000;

const isNumeric = (column) => column.family === "numeric";

/** The text of a cell value as the grid shows it (timestamps with a space, not a "T"). */
function cellText(value, column) {
  if (isNumeric(column) && (typeof value === "number" || typeof value === "string"))
    return formatNumber(value);
  if (typeof value === "string") return column.family === "temporal" ? value.replace("T", " ") : value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function cell(value, column, numeric) {
  if (value === null || value === undefined) return h("td", { class: "null" }, "NULL");
  const text = cellText(value, column);
  return h(
    "td",
    { class: numeric ? "num" : null, title: text.length > 40 ? text.slice(0, MAX_TITLE) : null },
    text,
  );
}

/** One page of rows as a table ({columns, rows, offset}); the grid's and the drill dialog's. */
export function resultsTable(page, { testId = "results-table", rowTestId = null } = {}) {
  const numeric = page.columns.map(isNumeric);
  return h(
    "table",
    { class: "grid", "data-testid": testId },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { class: "rownum", scope: "col" }, "#"),
        page.columns.map((c, i) =>
          h(
            "th",
            { scope: "col", class: numeric[i] ? "num" : null, title: `${c.name}: ${c.type}` },
            h("span", { class: "col-name" }, c.name),
            h("span", { class: "col-type" }, c.type.toLowerCase()),
          ),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      page.rows.map((row, r) =>
        h(
          "tr",
          { "data-testid": rowTestId },
          h("th", { class: "rownum", scope: "row" }, count(page.offset + r + 1)),
          row.map((v, i) => cell(v, page.columns[i], numeric[i])),
        ),
      ),
    ),
  );
}

/**
 * A grid over `container` (the table) and `pager` (navigation). open(runId) shows the first page;
 * it rejects with the API's error (410 when the result expired).
 */
export function createGrid(container, pager) {
  let runId = null;
  let total = 0;
  let offset = 0;
  let loading = null;

  function show(page) {
    total = page.total_rows;
    offset = page.offset;
    if (page.columns.length === 0) {
      replace(container, h("p", { class: "empty" }, "The statement ran and returned no columns."));
    } else {
      replace(container, resultsTable(page));
      container.scrollTop = 0;
    }
    renderPager();
  }

  async function load(at) {
    const id = runId;
    const controller = new AbortController();
    loading?.abort();
    loading = controller;
    container.setAttribute("aria-busy", "true");
    try {
      const page = await get(
        `/api/v1/runs/${encodeURIComponent(id)}/results`,
        { offset: at, limit: PAGE_SIZE },
        { signal: controller.signal },
      );
      if (id === runId) show(page);
    } finally {
      if (loading === controller) {
        loading = null;
        container.removeAttribute("aria-busy");
      }
    }
  }

  function go(at) {
    load(at).catch((error) => {
      if (error.name !== "AbortError") replace(container, h("p", { class: "error-message" }, error.message));
    });
  }

  function renderPager() {
    const last = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
    const first = total === 0 ? 0 : offset + 1;
    const end = Math.min(offset + PAGE_SIZE, total);
    const button = (label, title, at, disabled, testid) =>
      h(
        "button",
        {
          type: "button",
          class: "icon",
          title,
          "aria-label": title,
          disabled,
          "data-testid": testid,
          onclick: () => go(at),
        },
        label,
      );
    replace(
      pager,
      button("«", "First page", 0, offset === 0, "page-first"),
      button("‹", "Previous page", Math.max(0, offset - PAGE_SIZE), offset === 0, "page-prev"),
      h(
        "span",
        { class: "page-info", "data-testid": "page-info" },
        total === 0 ? "no rows" : `rows ${count(first)}–${count(end)} of ${count(total)}`,
      ),
      button("›", "Next page", offset + PAGE_SIZE, end >= total, "page-next"),
      button("»", "Last page", last, end >= total, "page-last"),
    );
  }

  return {
    /** Show a run's first page: `first` when the submission brought it, else fetched. */
    async open(id, first = null) {
      loading?.abort();
      runId = id;
      offset = 0;
      total = 0;
      if (first && first.run_id === id && first.offset === 0) show(first);
      else await load(0);
    },
    clear() {
      runId = null;
      loading?.abort();
      replace(container);
      replace(pager);
    },
  };
}
