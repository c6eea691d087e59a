// How a run ended, shown under the editor: the result (grid, row count, downloads, the
// row-cap notice with a full export), the error with its position, or why it stopped.
import { h, replace } from "./dom.js";
import { STATUS_LABELS, count, duration, plural } from "./format.js";
import { execute, exportUrl } from "./runs.js";

const FORMATS = [
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
  warehouse_unavailable: "Warehouse unavailable",
  warehouse_error: "Warehouse error",
};

/** Start a download of `href` (an attachment, so the page stays). */
function download(href) {
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

function truncatedNotice(run) {
  const format = h(
    "select",
    { "aria-label": "Export format" },
    FORMATS.map(([value, label]) => h("option", { value }, label)),
  );
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
    });
    button.disabled = false;
    button.textContent = "Export full result";
    if (exported?.status === "succeeded") {
      replace(
        status,
        `${plural(exported.row_count ?? 0, "row")} ready in ${duration(performance.now() - started)}.`,
      );
      download(exportUrl(exported.id, format.value));
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

/**
 * The outcome area. `ui` holds the elements (results, notice, summary, downloads), `grid` pages
 * through results and `editor` marks error positions.
 */
export function createOutcomeView(ui, { grid, editor }) {
  function clear() {
    grid.clear();
    replace(ui.notice);
    replace(ui.summary);
    replace(ui.downloads);
  }

  /** An error: title, warehouse message, and its position marked in the editor. */
  function failure(error, context = null) {
    const position = positionOf(error);
    const reveal = () => editor.markError(context.base, context.sql, error.line, error.column, error.message);
    replace(
      ui.results,
      h(
        "div",
        { class: "error-box", role: "alert", "data-testid": "run-error" },
        h(
          "div",
          { class: "error-title" },
          ERROR_TITLES[error?.code] || "Error",
          position &&
            h("span", { class: "error-position", "data-testid": "error-position" }, ` at ${position}`),
        ),
        h("pre", { class: "error-message" }, error?.message || "The query failed."),
        position &&
          context &&
          h("button", { type: "button", class: "link", onclick: reveal }, "Show in editor"),
      ),
    );
    if (position && context) reveal();
  }

  async function result(run) {
    replace(ui.summary, plural(run.row_count ?? 0, "row"), run.truncated ? " (cut)" : "");
    replace(
      ui.downloads,
      "Download ",
      FORMATS.map(([format, label]) =>
        h(
          "a",
          { href: exportUrl(run.id, format), download: "", class: "download", "data-format": format },
          label,
        ),
      ),
    );
    if (run.truncated) replace(ui.notice, truncatedNotice(run));
    replace(ui.results, h("p", { class: "empty" }, "Loading rows…"));
    try {
      await grid.open(run.id);
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

    running() {
      clear();
      replace(
        ui.results,
        h(
          "div",
          { class: "running", "data-testid": "running" },
          h("span", { class: "spinner", "aria-hidden": "true" }),
          "Running…",
        ),
      );
    },

    message(text) {
      clear();
      replace(ui.results, h("p", { class: "empty" }, text));
    },

    /** An ended run; `context` ({base, sql}) locates error positions in the editor. */
    show(run, error, context) {
      clear();
      if (run.status === "succeeded") return result(run);
      if (run.status === "failed") return failure(error || run.error, context);
      const text = (error || run.error)?.message || STATUS_LABELS[run.status];
      replace(
        ui.results,
        h("div", { class: `run-message ${run.status}`, role: "status", "data-testid": "run-message" }, text),
      );
    },
  };
}
