// The history panel: your runs, newest first, with more on demand; picking one calls onPick(run).
// With a scope (SQL Lab's query tab), it lists the runs of that tab unless "All my runs" is picked.
import { get } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { STATUS_LABELS, bytes, count, duration, fullTime, snippet, when } from "../lib/format.js";

const PAGE = 50;

/** A run's status as a colored badge. */
export function statusBadge(status) {
  return h(
    "span",
    { class: `badge status-${status}`, "data-status": status },
    STATUS_LABELS[status] || status,
  );
}

function entry(run, onPick) {
  const rows =
    run.row_count === null
      ? ""
      : `${count(run.row_count)} ${run.row_count === 1 ? "row" : "rows"}${run.truncated ? " (cut)" : ""}`;
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: "history-item",
        "data-testid": "history-item",
        dataset: { runId: run.id },
        title: "Load this query and its result",
        onclick: () => onPick(run),
      },
      h(
        "div",
        { class: "meta" },
        statusBadge(run.status),
        h("time", { datetime: run.submitted_at, title: fullTime(run.submitted_at) }, when(run.submitted_at)),
        h("span", { class: "connection" }, run.connection),
        h("span", { class: "duration" }, duration(run.elapsed_ms)),
        h("span", { class: "rows" }, rows),
        run.bytes_processed != null &&
          h("span", { class: "bytes" }, `${bytes(run.bytes_processed)} processed`),
        run.table &&
          h("span", { class: "chip", title: "The table was read directly, without a query" }, "table read"),
      ),
      run.sql_hidden
        ? h("span", { class: "sql hidden" }, "(a dashboard chart: its SQL is shown on the dashboard)")
        : h("code", { class: "sql" }, snippet(run.sql)),
    ),
  );
}

/**
 * The panel in `container`; refresh() reloads the newest runs. scope() gives {label, ids} of the
 * runs that belong to the tab shown.
 */
export function createHistory(container, { onPick, scope = null }) {
  let runs = [];
  let everything = !scope; // every run of yours, not only the tab's
  const toggle = scope
    ? h("input", {
        type: "checkbox",
        "data-testid": "history-all",
        onchange: () => {
          everything = toggle.checked;
          render();
        },
      })
    : null;
  let nextBefore = null;
  let error = null;
  let loading = false;

  function render() {
    const mine = everything ? null : scope();
    const listed = mine ? runs.filter((r) => mine.ids.has(r.id)) : runs;
    const none = mine ? `No runs in “${mine.label}” yet.` : "No queries yet. Runs appear here.";
    const list = listed.length
      ? h(
          "ul",
          { class: "history-list" },
          listed.map((r) => entry(r, onPick)),
        )
      : h("p", { class: "empty" }, loading ? "Loading…" : none);
    replace(
      container,
      toggle && h("label", { class: "history-scope" }, toggle, " All my runs, from every tab"),
      list,
      error && h("p", { class: "error-message" }, error),
      nextBefore &&
        h(
          "button",
          { type: "button", class: "more", disabled: loading, onclick: more },
          loading ? "Loading…" : "Show older runs",
        ),
    );
  }

  async function fetchPage(before) {
    loading = true;
    error = null;
    render();
    try {
      return await get("/api/v1/history", { limit: PAGE, before });
    } catch (e) {
      error = `Could not load the history: ${e.message}`;
      return null;
    } finally {
      loading = false;
    }
  }

  async function more() {
    const page = await fetchPage(nextBefore);
    if (page) {
      const seen = new Set(runs.map((r) => r.id));
      runs = runs.concat(page.runs.filter((r) => !seen.has(r.id)));
      nextBefore = page.next_before;
    }
    render();
  }

  return {
    async refresh() {
      const page = await fetchPage(null);
      if (page) {
        runs = page.runs;
        nextBefore = page.next_before;
      }
      render();
    },
  };
}
