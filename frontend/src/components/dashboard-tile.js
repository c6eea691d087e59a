// One tile of a dashboard: a chart (loaded on its own, with its spinner, its error and its
// refresh button, so that a slow or failing chart never holds up the others) or a text tile
// (markdown). The tile is a gridstack item; its header is the drag handle in edit mode.
import { get, post } from "../lib/api.js";
import { errorBox } from "./chart-errors.js";
import { createChartView } from "./chart-view.js";
import { openDialog } from "./dialog.js";
import { h, replace } from "../lib/dom.js";
import { duration, fullTime } from "../lib/format.js";
import { renderMarkdown } from "../lib/markdown.js";

/**
 * A tile for `spec` ({id, kind, chart_id | markdown, x, y, w, h}). `chart` is what the
 * dashboard knows of its chart ({id, name, type, connection}, with `spec` when known), null if
 * the chart is gone. `dashboardId` names the data endpoint; `onRemove`/`onEdit` are the edit
 * mode's buttons; `unsaved` for a tile added since the last save. Returns {el, spec,
 * load(filters, force), setEditing(on), setMarkdown(text), saved(), destroy()}.
 */
export function createTile(spec, { dashboardId, chart, unsaved = false, onRemove, onEdit }) {
  const tile = { ...spec };
  const isChart = tile.kind === "chart";
  const label = isChart ? chart?.name || `Chart ${tile.chart_id} (deleted)` : "Text";
  let controller = null;

  const title = h(
    "h2",
    { class: "tile-title", "data-testid": "tile-title", title: label },
    isChart ? label : "",
  );
  const spinner = h("span", {
    class: "spinner",
    role: "status",
    "aria-label": "Loading",
    "data-testid": "tile-spinner",
    hidden: true,
  });
  const cached = h("span", { class: "pill cached", "data-testid": "tile-cached", hidden: true }, "cached");
  const refresh =
    isChart &&
    h(
      "button",
      {
        type: "button",
        class: "icon small tile-button",
        title: `Refresh ${label}`,
        "aria-label": `Refresh ${label}`,
        "data-testid": "tile-refresh",
        onclick: () => load(lastFilters, false),
      },
      "↻",
    );
  // The chart's SQL comes with its data only to the chart's owner, or to everyone when the
  // owner chose to show it to viewers: the button shows when there is SQL to show.
  let sql = null;
  const viewSql =
    isChart &&
    h(
      "button",
      {
        type: "button",
        class: "small tile-button",
        title: `The SQL of ${label}`,
        "aria-label": `View the SQL of ${label}`,
        "data-testid": "tile-view-sql",
        hidden: true,
        onclick: showSql,
      },
      "SQL",
    );
  const edit =
    !isChart &&
    h(
      "button",
      {
        type: "button",
        class: "small tile-button edit-only",
        "aria-label": "Edit the text",
        "data-testid": "tile-edit",
        onclick: () => onEdit?.(api),
      },
      "Edit",
    );
  const remove = h(
    "button",
    {
      type: "button",
      class: "icon small tile-button edit-only danger",
      title: "Remove the tile",
      "aria-label": `Remove ${isChart ? label : "the text tile"}`,
      "data-testid": "tile-remove",
      onclick: () => onRemove?.(api),
    },
    "×",
  );
  const error = h("div", { class: "tile-error", "data-testid": "tile-error", hidden: true });
  const body = h("div", {
    class: `tile-body ${isChart ? "chart-body" : "markdown-body"}`,
    "data-testid": "tile-body",
  });
  const content = h(
    "div",
    { class: "grid-stack-item-content tile" },
    h(
      "header",
      { class: "tile-head" },
      title,
      spinner,
      cached,
      h("span", { class: "spacer" }),
      viewSql,
      refresh,
      edit,
      remove,
    ),
    error,
    body,
  );
  const el = h(
    "div",
    {
      class: "grid-stack-item",
      "gs-id": tile.id,
      "gs-x": String(tile.x),
      "gs-y": String(tile.y),
      "gs-w": String(tile.w),
      "gs-h": String(tile.h),
      "data-testid": "dashboard-tile",
      "data-tile-id": tile.id,
      "data-kind": tile.kind,
      "data-chart-id": isChart ? String(tile.chart_id) : null,
      "data-state": isChart ? "idle" : "ready",
      "aria-label": isChart ? label : "Text",
      role: "region",
    },
    content,
  );
  const view = isChart ? createChartView(body) : null;
  let lastFilters = [];

  function setState(state) {
    el.dataset.state = state;
    spinner.hidden = state !== "loading";
    body.setAttribute("aria-busy", String(state === "loading"));
  }

  function showSql() {
    if (sql === null) return;
    openDialog({
      title: `SQL of ${label}`,
      wide: true,
      testid: "tile-sql-dialog",
      body: [h("pre", { class: "sql-view", "data-testid": "tile-sql" }, sql)],
      cancel: "Close",
    });
  }

  function setSql(text) {
    sql = typeof text === "string" ? text : null;
    viewSql.hidden = sql === null;
  }

  function showError(err, heading) {
    replace(error, errorBox(err, heading));
    error.hidden = false;
  }

  /** Load the chart's data with the dashboard's filter values; `force` skips the cache. */
  async function load(filters = [], force = false) {
    if (!isChart) return;
    lastFilters = filters;
    if (!chart) {
      setState("error");
      showError(new Error("The chart of this tile was deleted."), "Chart not found");
      return;
    }
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    setState("loading");
    let data;
    try {
      // A tile added in edit mode is not on the saved dashboard yet: its chart's own data
      // (without the dashboard's filters) until the layout is saved.
      data = unsaved
        ? await get(`/api/v1/charts/${tile.chart_id}/data`, { force }, { signal: mine.signal })
        : await post(
            `/api/v1/dashboards/${dashboardId}/charts/${tile.chart_id}/data`,
            { filters, force },
            { signal: mine.signal },
          );
    } catch (err) {
      if (err.name === "AbortError" || controller !== mine) return;
      controller = null;
      setState("error");
      cached.hidden = true;
      setSql(null);
      view.clear();
      showError(err);
      return;
    }
    if (controller !== mine) return;
    controller = null;
    error.hidden = true;
    setSql(data.sql);
    cached.hidden = !data.cached;
    cached.title = data.cached ? `From the cache: ran at ${fullTime(data.ran_at)}` : "";
    title.title = `${label}\n${data.row_count} rows in ${duration(data.elapsed_ms)}, at ${fullTime(data.ran_at)}`;
    try {
      await view.draw(data, { type: chart.type, spec: chart.spec || null });
      setState("ready");
    } catch (err) {
      setState("error");
      showError(err, "Could not draw the chart");
    }
  }

  function setMarkdown(text) {
    tile.markdown = text;
    if (text.trim()) replace(body, renderMarkdown(text));
    else replace(body, h("p", { class: "muted" }, "Empty text tile."));
  }

  const api = {
    el,
    get spec() {
      const node = el.gridstackNode || {};
      const place = { x: node.x ?? tile.x, y: node.y ?? tile.y, w: node.w ?? tile.w, h: node.h ?? tile.h };
      return isChart
        ? { id: tile.id, kind: "chart", chart_id: tile.chart_id, ...place }
        : { id: tile.id, kind: "markdown", markdown: tile.markdown || "", ...place };
    },
    chart,
    load,
    setMarkdown,
    /** The layout with this tile was saved: its data comes through the dashboard now. */
    saved() {
      unsaved = false;
    },
    /** Show or hide the edit mode's buttons. */
    setEditing(on) {
      for (const button of content.querySelectorAll(".edit-only")) button.hidden = !on;
    },
    destroy() {
      controller?.abort();
      view?.destroy();
    },
  };
  if (!isChart) setMarkdown(tile.markdown || "");
  api.setEditing(false);
  return api;
}
