// How a run ended, shown under the editor: the result (grid, row count, what it cost, downloads,
// the row-cap notice with a full export, or what a table preview or export read), the error
// with its position, or why it stopped.
import { authorizationPrompt, needsAuthorization } from "./authorize.js";
import { h, replace } from "../lib/dom.js";
import { STATUS_LABELS, bytes, count, duration, plural } from "../lib/format.js";
import { PREVIEW_ROWS, execute, exportUrl } from "../lib/runs.js";

export const FORMATS = [
  ["csv", "CSV"],
  ["json", "JSON"],
  ["parquet", "Parquet"],
];
const ERROR_TITLES = {
  syntax_error: "Syntax error",
  not_found: "Not found",
  access_denied: "Access denied",
  invalid_query: "Invalid query",
  resource_exceeded: "Resource limit reached",
  quota_exceeded: "Quota exceeded",
  byte_cap_exceeded: "Over the byte cap per query",
  budget_exceeded: "Over budget",
  warehouse_unavailable: "Warehouse unavailable",
  warehouse_error: "Warehouse error",
};
const ERROR_HELP = {
  byte_cap_exceeded:
    "Nothing ran and nothing was billed. Read fewer columns, filter on the partitioning " +
    "column, or ask an admin for a one-off raise.",
  budget_exceeded:
    "Nothing ran and nothing was billed. Your spend so far is on the Spend page; wait for " +
    "the budget to reset, read less, or ask an admin for a one-off raise.",
  quota_exceeded: "The warehouse's quota for this project is used up for now; try again later.",
};

/** Start a download of `href` (an attachment, so the page stays). */
export function download(href) {
  const link = h("a", { href, download: "", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

/** "line 2, column 6" (or null when the warehouse gave no position). */
function positionOf(error) {
  if (!error?.line) return null;
  return `line ${error.line}${error.column ? `, column ${error.column}` : ""}`;
}

/** The table a run read directly: from the context that started it, else from `run.table`. */
function tableOf(run, context) {
  if (context?.table) return context.table;
  if (!run?.table) return null;
  return { schema: run.table.schema, name: run.table.name, kind: "table" };
}

const formatSelect = (selected = "csv") =>
  h(
    "select",
    { "aria-label": "Export format" },
    FORMATS.map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  );

function truncatedNotice(run, name) {
  const format = formatSelect();
  const button = h("button", { type: "button", "data-testid": "export-full" }, "Export full result");
  const status = h("span", { class: "export-status" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Exporting…";
    replace(status);
    const started = performance.now();
    const { run: exported, error } = await execute({
      connection: run.connection,
      sql: run.sql,
      export: true,
      page_size: 0,
    });
    button.disabled = false;
    button.textContent = "Export full result";
    if (exported?.status === "succeeded") {
      replace(
        status,
        `${plural(exported.row_count ?? 0, "row")} ready in ${duration(performance.now() - started)}.`,
      );
      download(exportUrl(exported.id, format.value, name()));
    } else {
      const message = error?.message || `The export ended ${STATUS_LABELS[exported?.status] || "badly"}.`;
      replace(status, h("span", { class: "error-message" }, message));
    }
  });
  return h(
    "div",
    { class: "notice warning", role: "status", "data-testid": "truncated-notice" },
    `Showing the first ${count(run.row_count ?? 0)} rows: the result was cut at the row cap. `,
    button,
    " as ",
    format,
    " ",
    status,
  );
}

/** What a run cost the warehouse (BigQuery): bytes processed and billed, the job's id. */
function costOf(run) {
  const parts = [];
  if (run.bytes_processed != null) parts.push(h("span", {}, `${bytes(run.bytes_processed)} processed`));
  if (run.bytes_billed != null) parts.push(h("span", {}, `${bytes(run.bytes_billed)} billed`));
  if (run.bytes_processed == null && run.bytes_estimated != null) {
    parts.push(h("span", {}, `estimated ${bytes(run.bytes_estimated)}`));
  }
  if (run.principal && run.principal !== "connection") {
    parts.push(
      h("span", { class: "principal", title: "Who the warehouse saw run it" }, `as ${run.principal}`),
    );
  }
  if (run.job_id) {
    parts.push(
      h("span", { class: "job-id", title: `Job id: ${run.job_id}` }, "job ", h("code", {}, run.job_id)),
    );
  }
  return parts.flatMap((part, i) => (i ? [" · ", part] : [part]));
}

/**
 * The outcome area. `ui` holds the elements (results, notice, summary, cost, downloads), `grid`
 * pages through results, `editor` marks error positions; onTableRead(table, {export, format})
 * reads a table again (a whole-table export), onQueryTable(table) writes a query for it;
 * downloadName() is what a query's downloads are called (a table's are named after it).
 */
export function createOutcomeView(
  ui,
  { grid, editor, onTableRead, onQueryTable, dialectOf, downloadName = () => null },
) {
  function clear() {
    grid.clear();
    replace(ui.notice);
    replace(ui.summary);
    replace(ui.cost);
    replace(ui.downloads);
  }

  /** An error: title, warehouse message, and its position marked in the editor. */
  function failure(error, context = null, run = null) {
    if (needsAuthorization(error)) {
      // Not an error of the query: the user must first connect their account.
      const connection = run?.connection || context?.connection || null;
      replace(ui.results, authorizationPrompt(error, { connection }));
      return;
    }
    const position = context?.table ? null : positionOf(error);
    const canReveal = Boolean(position && context?.sql);
    const reveal = () => editor.markError(context.base, context.sql, error.line, error.column, error.message);
    const table = tableOf(run, context);
    replace(
      ui.results,
      h(
        "div",
        {
          class: "error-box",
          role: "alert",
          "data-testid": "run-error",
          dataset: { code: error?.code || "" },
        },
        h(
          "div",
          { class: "error-title" },
          ERROR_TITLES[error?.code] || "Error",
          position &&
            h("span", { class: "error-position", "data-testid": "error-position" }, ` at ${position}`),
        ),
        h("pre", { class: "error-message" }, error?.message || "The query failed."),
        ERROR_HELP[error?.code] && h("p", { class: "error-help" }, ERROR_HELP[error.code]),
        canReveal && h("button", { type: "button", class: "link", onclick: reveal }, "Show in editor"),
        table &&
          error?.code === "invalid_query" &&
          h(
            "button",
            { type: "button", class: "link", onclick: () => onQueryTable(table) },
            "Query it with SQL instead",
          ),
      ),
    );
    if (canReveal) reveal();
  }

  /** The notice of a direct table read: what was read, and how to get the whole table. */
  function tableNotice(run, table, context) {
    const name = `${table.schema}.${table.name}`;
    const free = dialectOf(run.connection) === "bigquery" ? ", read directly — no query cost" : "";
    if (context?.table ? context.export : run.max_rows > PREVIEW_ROWS) {
      return h(
        "div",
        {
          class: `notice ${run.truncated ? "warning" : "success"}`,
          role: "status",
          "data-testid": "table-notice",
        },
        `Exported ${name}: ${plural(run.row_count ?? 0, "row")}`,
        run.truncated ? ", cut at the server's export row cap" : "",
        `${free}. `,
        context?.format &&
          h(
            "a",
            { href: exportUrl(run.id, context.format, name), download: "", class: "download-again" },
            `Download ${context.format.toUpperCase()} again`,
          ),
      );
    }
    const format = formatSelect();
    const exportButton = h(
      "button",
      {
        type: "button",
        "data-testid": "export-table",
        onclick: () => onTableRead(table, { export: true, format: format.value }),
      },
      "Export whole table",
    );
    // A preview stops at max_rows; the catalog may know how many rows the table has.
    const rows = run.row_count ?? 0;
    const total = table.row_count;
    const whole = !run.truncated && (total != null ? rows >= total : rows < run.max_rows);
    const of = total != null && total > rows ? ` of ${count(total)}` : "";
    return h(
      "div",
      { class: "notice info", role: "status", "data-testid": "table-notice" },
      whole
        ? `Preview of ${name}: all ${plural(rows, "row")}${free}. `
        : `Preview of ${name}: the first ${plural(rows, "row")}${of}${free}. `,
      !whole && [exportButton, " as ", format],
    );
  }

  async function result(run, context) {
    const table = tableOf(run, context);
    // Read when the download starts: a tab renamed since still names the file.
    const name = () => (table ? `${table.schema}.${table.name}` : downloadName());
    const preview = table && (context?.table ? !context.export : run.max_rows <= PREVIEW_ROWS);
    replace(
      ui.summary,
      plural(run.row_count ?? 0, "row"),
      preview ? " (preview)" : run.truncated ? " (cut)" : "",
    );
    replace(
      ui.downloads,
      "Download ",
      FORMATS.map(([format, label]) =>
        h(
          "a",
          {
            href: exportUrl(run.id, format),
            download: "",
            class: "download",
            "data-format": format,
            onclick: (event) => (event.currentTarget.href = exportUrl(run.id, format, name())),
          },
          label,
        ),
      ),
    );
    if (table) replace(ui.notice, tableNotice(run, table, context));
    else if (run.truncated) replace(ui.notice, truncatedNotice(run, name));
    if (context?.export && context.format) download(exportUrl(run.id, context.format, name()));
    replace(ui.results, h("p", { class: "empty" }, "Loading rows…"));
    try {
      await grid.open(run.id, run.result);
    } catch (error) {
      if (error.name === "AbortError") return;
      replace(ui.downloads);
      const kind = error.status === 410 ? "expired" : "failed"; // 410: the stored result is gone
      replace(
        ui.results,
        h(
          "div",
          { class: `run-message ${kind}`, role: "status", "data-testid": "run-message" },
          error.message,
        ),
      );
    }
  }

  return {
    clear,
    failure,

    running(text = "Running…") {
      clear();
      replace(
        ui.results,
        h(
          "div",
          { class: "running", "data-testid": "running" },
          h("span", { class: "spinner", "aria-hidden": "true" }),
          text,
        ),
      );
    },

    message(text) {
      clear();
      replace(ui.results, h("p", { class: "empty" }, text));
    },

    /** A run no longer known (its results expired with it): nothing to show, run again. */
    expired() {
      clear();
      replace(
        ui.results,
        h(
          "div",
          { class: "run-message expired", role: "status", "data-testid": "run-message" },
          "The last result has expired; run the query again.",
        ),
      );
    },

    /**
     * An ended run; `context` ({base, sql}) locates error positions in the editor, or names the
     * table read directly ({table, export, format}).
     */
    show(run, error, context) {
      clear();
      replace(ui.cost, costOf(run));
      if (run.status === "succeeded") return result(run, context);
      if (run.status === "failed") return failure(error || run.error, context, run);
      const text = (error || run.error)?.message || STATUS_LABELS[run.status];
      replace(
        ui.results,
        h("div", { class: `run-message ${run.status}`, role: "status", "data-testid": "run-message" }, text),
      );
    },
  };
}
