// One tile of a dashboard: a chart (loaded on its own, with its spinner, its error and its
// refresh button, so that a slow or failing chart never holds up the others) or a text tile
// (markdown). The tile is a gridstack item (gridstack owns that element); its content (the
// header, the drag handle in edit mode, the error and the body) is a render of the tile's state
// with lit-html. The chart view draws inside the body, which the render leaves alone; a result
// without rows says so ("No data for these filters") instead of drawing empty axes.
import { html, nothing, render } from "lit-html";
import { get, post } from "../lib/api.js";
import { errorBox } from "./chart-errors.js";
import { createChartView } from "./chart-view.js";
import { openDialog } from "./dialog.js";
import { h } from "../lib/dom.js";
import { duration, fullTime } from "../lib/format.js";
import { tileSpec } from "../lib/layout.js";
import { renderMarkdown } from "../lib/markdown.js";
import { chartCost, costDetail } from "../lib/costs.js";

/** The title's tooltip once data came: the chart's name, its rows, how long, and when. */
function loadedTitle(label, data) {
  return `${label}\n${data.row_count} rows in ${duration(data.elapsed_ms)}, at ${fullTime(data.ran_at)}`;
}

/**
 * A tile for `spec` ({id, kind, chart_id | markdown, x, y, w, h}). `chart` is what the
 * dashboard knows of its chart ({id, name, type, connection}, with `spec` when known), null if
 * the chart is gone. `dashboardId` names the data endpoint; `onRemove`/`onEdit` are the edit
 * mode's buttons; `unsaved` for a tile added since the last save; `onMark(tile, datum, event,
 * data)` when a mark of its chart is clicked (data: the ChartData drawn). Returns {el, spec,
 * load(filters, force), setEditing(on), setMarkdown(text), saved(), destroy()}.
 */
export function createTile(spec, { dashboardId, chart, unsaved = false, onRemove, onEdit, onMark }) {
  const tile = { ...spec };
  const isChart = tile.kind === "chart";
  const label = isChart ? chart?.name || `Chart ${tile.chart_id} (deleted)` : "Text";
  let controller = null;
  let lastFilters = [];
  let shownData = null; // the ChartData drawn
  const state = {
    status: isChart ? "idle" : "ready", // idle, loading, ready or error
    editing: false,
    problem: null, // the error box shown above the body
    sql: null, // the chart's SQL, when the server sends it (see below)
    cached: false, // whether the data came from the cache
    ranAt: null, // when the data shown ran
    detail: label, // the title's tooltip
    cost: "", // what the data shown cost: "1.2 GB processed", "from cache: nothing billed", ...
    costDetail: "", // its tooltip: the exact bytes
    text: null, // a text tile's markdown, as nodes
  };

  const content = h("div", { class: "grid-stack-item-content tile" });
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
      "aria-label": isChart ? label : "Text",
      role: "region",
    },
    content,
  );

  // The chart's SQL comes with its data only to the chart's owner, or to everyone when the
  // owner chose to show it to viewers: the button shows when there is SQL to show.
  function chartButtons() {
    return html`<button
        type="button"
        class="small tile-button"
        title=${`The SQL of ${label}`}
        aria-label=${`View the SQL of ${label}`}
        data-testid="tile-view-sql"
        ?hidden=${state.sql === null}
        @click=${showSql}
      >SQL</button
      ><button
        type="button"
        class="icon small tile-button"
        title=${`Refresh ${label}`}
        aria-label=${`Refresh ${label}`}
        data-testid="tile-refresh"
        @click=${() => load(lastFilters, false)}
      >↻</button>`;
  }

  function textButton() {
    return html`<button
      type="button"
      class="small tile-button edit-only"
      aria-label="Edit the text"
      data-testid="tile-edit"
      ?hidden=${!state.editing}
      @click=${() => onEdit?.(api)}
    >Edit</button>`;
  }

  function body() {
    if (isChart)
      return html`<div
        class="tile-body chart-body"
        data-testid="tile-body"
        aria-busy=${state.status === "idle" ? nothing : String(state.status === "loading")}
      ></div>`;
    return html`<div class="tile-body markdown-body" data-testid="tile-body">${state.text}</div>`;
  }

  function view() {
    const cachedTitle = state.cached ? `From the cache: ran at ${fullTime(state.ranAt)}` : "";
    return html`<header class="tile-head"
        ><h2 class="tile-title" data-testid="tile-title" title=${state.detail}>${isChart ? label : ""}</h2
        ><span
          class="spinner"
          role="status"
          aria-label="Loading"
          data-testid="tile-spinner"
          ?hidden=${state.status !== "loading"}
        ></span
        ><span class="pill cached" data-testid="tile-cached" title=${cachedTitle} ?hidden=${!state.cached}
          >cached</span
        ><span class="spacer"></span>${isChart ? chartButtons() : textButton()}<button
          type="button"
          class="icon small tile-button edit-only danger"
          title="Remove the tile"
          aria-label=${`Remove ${isChart ? label : "the text tile"}`}
          data-testid="tile-remove"
          ?hidden=${!state.editing}
          @click=${() => onRemove?.(api)}
        >×</button></header
      ><div class="tile-error" data-testid="tile-error" ?hidden=${!state.problem}>${state.problem || nothing}</div
      >${body()}<footer class="tile-foot" data-testid="tile-cost" title=${state.costDetail} ?hidden=${!state.cost}
        >${state.cost}</footer
      >`;
  }

  function draw() {
    el.dataset.state = state.status;
    render(view(), content);
  }

  function update(changes) {
    Object.assign(state, changes);
    draw();
  }

  draw();
  const chartView = isChart
    ? createChartView(content.querySelector(".tile-body"), {
        onMark: onMark && ((datum, event) => !state.editing && onMark(api, datum, event, shownData)),
      })
    : null;

  function showSql() {
    if (state.sql === null) return;
    openDialog({
      title: `SQL of ${label}`,
      wide: true,
      testid: "tile-sql-dialog",
      body: [h("pre", { class: "sql-view", "data-testid": "tile-sql" }, state.sql)],
      cancel: "Close",
    });
  }

  /** Load the chart's data with the dashboard's filter values; `force` skips the cache. */
  async function load(filters = [], force = false) {
    if (!isChart) return;
    lastFilters = filters;
    if (!chart) {
      const gone = new Error("The chart of this tile was deleted.");
      update({ status: "error", problem: errorBox(gone, "Chart not found") });
      return;
    }
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    update({ status: "loading" });
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
      chartView.clear();
      update({ status: "error", cached: false, sql: null, cost: "", costDetail: "", problem: errorBox(err) });
      return;
    }
    if (controller !== mine) return;
    controller = null;
    update({
      problem: null,
      sql: typeof data.sql === "string" ? data.sql : null,
      cached: Boolean(data.cached),
      ranAt: data.ran_at,
      detail: loadedTitle(label, data),
      cost: chartCost(data),
      costDetail: costDetail(data),
    });
    shownData = data;
    if (data.row_count === 0) {
      const note = filters.length ? "No data for these filters" : "No data";
      chartView.clear(h("p", { class: "tile-no-data muted", "data-testid": "tile-no-data" }, note));
      update({ status: "ready" });
      return;
    }
    try {
      await chartView.draw(data, { type: chart.type, spec: chart.spec || null });
      update({ status: "ready" });
    } catch (err) {
      update({ status: "error", problem: errorBox(err, "Could not draw the chart") });
    }
  }

  function setMarkdown(text) {
    tile.markdown = text;
    update({
      text: text.trim() ? [...renderMarkdown(text).childNodes] : html`<p class="muted">Empty text tile.</p>`,
    });
  }

  const api = {
    el,
    get spec() {
      return tileSpec(tile, el.gridstackNode);
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
      update({ editing: Boolean(on) });
    },
    destroy() {
      controller?.abort();
      chartView?.destroy();
    },
  };
  if (!isChart) setMarkdown(tile.markdown || "");
  return api;
}
