// A dashboard: a grid of tiles (gridstack), each chart loading on its own; a filter bar whose
// values reach every chart; force refresh (which asks first when its estimate is above the
// server's threshold or the viewer's budget left); auto-refresh every `refresh_seconds`. Owners and
// editors switch to an edit mode (drag, resize, add and remove tiles and filters, title and
// refresh interval; Save sends the whole layout); the owner shares it; whoever runs SQL
// schedules it. The filter state (the bar's picks, date presets by name, and the cross-filters
// a click on a mark adds) is in the URL's query string: a link opens the same view, and back
// and forward step through it.
import { GridStack } from "gridstack";
import { get, patch, post } from "../lib/api.js";
import { failureTitle } from "../components/chart-errors.js";
import { REFRESH_CHOICES, renderEditbar } from "../components/dashboard-editbar.js";
import { createFilterBar } from "../components/dashboard-filters.js";
import { createTile } from "../components/dashboard-tile.js";
import { openMarkActions } from "../components/mark-actions.js";
import { openDrill } from "../components/drill-dialog.js";
import {
  openAddChart,
  openAddFilter,
  openTextDialog,
  sourceColumns,
} from "../components/dashboard-dialogs.js";
import { byId, h, replace } from "../lib/dom.js";
import { clock } from "../lib/format.js";
import { crossWith, parseState, stateQuery, tileFilters } from "../lib/filters.js";
import { NEW_TILE, readingOrder } from "../lib/layout.js";
import { openShareDialog } from "../components/share-dialog.js";
import { openScheduleDialog } from "../components/schedule-dialog.js";
import { exportButton } from "../components/dashboard-transfer.js";
import { confirmRefresh, confirmUnestimated } from "../components/refresh-confirm.js";

const ROW_PX = 80;
const newId = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function refreshLabel(seconds) {
  if (!seconds) return "";
  const known = REFRESH_CHOICES.find(([s]) => s === seconds);
  return known ? `Refreshes ${known[1].toLowerCase()}` : `Refreshes every ${seconds} s`;
}

export async function init(page, user) {
  const ui = {
    root: byId("dashboard"),
    title: byId("dashboard-title"),
    access: byId("dashboard-access"),
    refreshed: byId("dashboard-refreshed"),
    force: byId("dashboard-force-refresh"),
    edit: byId("dashboard-edit"),
    share: byId("dashboard-share"),
    schedule: byId("dashboard-schedule"),
    editbar: byId("dashboard-editbar"),
    filters: byId("dashboard-filters"),
    message: byId("dashboard-message"),
    grid: byId("dashboard-grid"),
  };
  const id = page.dashboard_id;
  const path = `/api/v1/dashboards/${id}`;
  let dashboard = null;
  let tiles = [];
  let editing = null; // while editing: {title, filters, refresh_seconds}
  let applied = []; // the filter values of the bar the tiles show
  let cross = []; // the cross-filters: {tile, column, value}, each on the tiles but its own
  const loadedWith = new WeakMap(); // tile -> the JSON of the filters it last loaded with
  let timer = null;
  let myCharts = null; // your charts (GET /charts), fetched when a chart tile is added

  const grid = GridStack.init(
    {
      column: page.gridColumns, // the server's grid width
      cellHeight: ROW_PX,
      margin: 6,
      float: false,
      staticGrid: true,
      animate: true,
      handle: ".tile-head",
      minRow: 2,
    },
    ui.grid,
  );
  const filterBar = createFilterBar(ui.filters, {
    dashboardId: id,
    onApply: (values) => {
      applied = values;
      remember();
      loadAll(false);
    },
    onClear: () => {
      applied = [];
      setCross([]);
      remember();
      loadAll(false);
    },
    onUncross: (gone) => {
      setCross(cross.filter((c) => c !== gone));
      remember();
      loadAll(false, { changedOnly: true });
    },
    onRemove: (index) => {
      editing.filters.splice(index, 1);
      drawFilters();
    },
  });

  /** The filter bar: the saved filters, or in edit mode those being edited. */
  function drawFilters() {
    if (editing) filterBar.render(editing.filters, true, dashboard.filters);
    else filterBar.render(dashboard.filters, false);
  }

  function say(kind, ...children) {
    replace(
      ui.message,
      h("p", { class: `notice ${kind}`, role: kind === "success" ? "status" : "alert" }, children),
    );
  }

  // ----- tiles

  function chartInfo(chartId) {
    const known = dashboard.charts?.[String(chartId)] || null;
    const mine = myCharts?.find((c) => c.id === chartId);
    if (mine)
      return {
        id: mine.id,
        name: mine.name,
        type: mine.spec.type,
        connection: mine.connection,
        spec: mine.spec,
      };
    return known;
  }

  // ----- the filter state: in the URL, cross-filters, the filters of each tile

  function setCross(next) {
    cross = next;
    filterBar.setCross(cross);
  }

  /** Put the filter state in the URL (a new history entry when it changed). */
  function remember() {
    const query = stateQuery(dashboard.filters, filterBar.picks(), cross);
    const url = query ? `${location.pathname}?${query}` : location.pathname;
    if (url !== `${location.pathname}${location.search}`) history.pushState({ filters: true }, "", url);
  }

  /** Take the filter state of the URL (on opening, and on back and forward). */
  function recall() {
    const state = parseState(location.search, dashboard.filters);
    filterBar.setPicks(state.picks);
    applied = filterBar.values();
    setCross(state.cross.filter((c) => tiles.some((t) => t.spec.id === c.tile)));
  }

  const filtersOf = (tile) => tileFilters(applied, cross, tile.spec.id);

  function markClicked(tile, datum, event, data) {
    openMarkActions({
      event,
      datum,
      data,
      back: tile.el.querySelector("[data-testid=tile-refresh]"),
      onFilter: (column, value) => {
        setCross(crossWith(cross, { tile: tile.spec.id, column, value }));
        remember();
        loadAll(false, { changedOnly: true });
      },
      onDrill: (point) =>
        openDrill({ dashboardId: id, chartId: tile.spec.chart_id, filters: filtersOf(tile), point }),
    });
  }

  function addTile(spec, { place = false } = {}) {
    const tile = createTile(spec, {
      dashboardId: id,
      chart: spec.kind === "chart" ? chartInfo(spec.chart_id) : null,
      unsaved: place,
      onRemove: (t) => removeTile(t),
      onEdit: (t) => editText(t),
      onMark: markClicked,
    });
    tiles.push(tile);
    ui.grid.append(tile.el);
    grid.makeWidget(tile.el, place ? { autoPosition: true, w: spec.w, h: spec.h } : undefined);
    tile.setEditing(Boolean(editing));
    return tile;
  }

  function removeTile(tile) {
    tiles = tiles.filter((t) => t !== tile);
    tile.destroy();
    grid.removeWidget(tile.el);
    showEmpty();
  }

  function clearTiles() {
    tiles.forEach((t) => t.destroy());
    tiles = [];
    grid.removeAll(true);
  }

  function showEmpty() {
    if (tiles.length > 0) {
      if (ui.message.dataset.empty) replace(ui.message);
      delete ui.message.dataset.empty;
      return;
    }
    ui.message.dataset.empty = "1";
    say(
      "info",
      editing || !["owner", "editor"].includes(dashboard.access)
        ? "This dashboard has no tiles yet."
        : "This dashboard has no tiles yet: press Edit to add charts and text.",
    );
  }

  function drawTiles() {
    clearTiles();
    grid.batchUpdate();
    for (const spec of dashboard.layout?.tiles || []) addTile(spec);
    grid.batchUpdate(false);
    showEmpty();
  }

  /**
   * Reload every chart tile (each on its own: none waits for another), or only those whose
   * filters changed.
   */
  function loadAll(force, { changedOnly = false } = {}) {
    for (const tile of tiles) {
      const filters = filtersOf(tile);
      const key = JSON.stringify(filters);
      if (changedOnly && loadedWith.get(tile) === key) continue;
      loadedWith.set(tile, key);
      tile.load(filters, force);
    }
    ui.refreshed.textContent = [refreshLabel(dashboard.refresh_seconds), `Loaded at ${clock(new Date())}`]
      .filter(Boolean)
      .join(" · ");
  }

  /**
   * Force refresh: first the estimate (the charts' dry runs, as you); above the server's
   * threshold or your budget left, ask before running anything.
   */
  async function forceRefresh() {
    ui.force.disabled = true;
    ui.force.setAttribute("aria-busy", "true");
    let estimate;
    try {
      estimate = await post(`${path}/estimate`, { filters: tileFilters(applied, cross, null) });
    } catch (error) {
      confirmUnestimated(error, () => loadAll(true));
      return;
    } finally {
      ui.force.disabled = false;
      ui.force.removeAttribute("aria-busy");
    }
    if (estimate.confirm) confirmRefresh(estimate, () => loadAll(true));
    else loadAll(true);
  }

  function schedule() {
    clearInterval(timer);
    const seconds = dashboard.refresh_seconds;
    if (!seconds || seconds <= 0) return;
    timer = setInterval(() => {
      if (!document.hidden && !editing) loadAll(false);
    }, seconds * 1000);
  }

  // ----- header

  function drawHead() {
    ui.title.textContent = dashboard.title;
    document.title = `${dashboard.title} · Belvedere`;
    const labels = { owner: "Owner", editor: "Can edit", viewer: "Can view" };
    ui.access.textContent = labels[dashboard.access] || dashboard.access;
    ui.access.hidden = false;
    const canEdit = ["owner", "editor"].includes(dashboard.access);
    ui.edit.hidden = !canEdit || Boolean(editing);
    ui.share.hidden = dashboard.access !== "owner" || Boolean(editing);
    ui.schedule.hidden = !user?.permissions?.includes("run_sql") || Boolean(editing);
    ui.force.hidden = Boolean(editing);
    ui.root.dataset.mode = editing ? "edit" : "view";
  }

  // ----- edit mode

  const editbarActions = {
    canAddCharts: Boolean(page.edit_charts),
    addChart: () => addChart(),
    addText: () => editText(null),
    addFilter: () => addFilter(),
    cancel: () => cancelEdits(),
    save: () => saveEdits(),
    edited: () => drawEditbar(),
  };

  function drawEditbar() {
    renderEditbar(ui.editbar, editing, editbarActions);
  }

  function startEditing() {
    editing = {
      title: dashboard.title,
      filters: dashboard.filters.map((f) => ({ ...f })),
      refresh_seconds: dashboard.refresh_seconds,
      saving: false,
      error: null,
      refreshError: null,
    };
    grid.setStatic(false);
    tiles.forEach((t) => t.setEditing(true));
    drawHead();
    drawEditbar();
    drawFilters();
    showEmpty();
    ui.editbar.querySelector("input")?.focus();
  }

  function stopEditing() {
    editing = null;
    grid.setStatic(true);
    tiles.forEach((t) => t.setEditing(false));
    drawHead();
    drawEditbar();
    drawFilters();
    showEmpty();
  }

  function cancelEdits() {
    stopEditing();
    drawTiles(); // back to the saved layout
    loadAll(false);
    ui.edit.focus();
  }

  async function saveEdits() {
    const title = editing.title.trim();
    editing.error = title ? null : "Give the dashboard a title.";
    editing.refreshError = null;
    editing.saving = Boolean(title);
    drawEditbar();
    if (!title) return;
    const layout = { tiles: readingOrder(tiles.map((t) => t.spec)) };
    try {
      dashboard = await patch(path, {
        title,
        layout,
        filters: editing.filters,
        refresh_seconds: editing.refresh_seconds || null,
      });
    } catch (e) {
      // An interval over the budget left is refused on its field, with the arithmetic.
      if (e.body?.error?.field === "refresh_seconds") editing.refreshError = e.message;
      else editing.error = `Could not save: ${e.message}`;
      editing.saving = false;
      drawEditbar();
      return;
    }
    const columns = new Set(dashboard.filters.map((f) => f.column));
    applied = applied.filter((v) => columns.has(v.column));
    setCross(cross.filter((c) => tiles.some((t) => t.spec.id === c.tile)));
    tiles.forEach((t) => t.saved());
    stopEditing();
    remember();
    schedule();
    say("success", "Saved.");
    ui.edit.focus();
  }

  // ----- edit dialogs

  /** Your charts (fetched once). */
  async function charts() {
    myCharts ??= (await get("/api/v1/charts")).charts;
    return myCharts;
  }

  function addChart() {
    openAddChart({
      charts,
      onAdd: (chartId) => {
        const tile = addTile(
          { id: newId(), kind: "chart", chart_id: chartId, x: 0, y: 0, ...NEW_TILE.chart },
          { place: true },
        );
        showEmpty();
        tile.load(filtersOf(tile), false);
        tile.el.scrollIntoView({ block: "nearest" });
      },
    });
  }

  function editText(tile) {
    openTextDialog(tile ? tile.spec.markdown : null, (markdown) => {
      if (tile) return tile.setMarkdown(markdown);
      addTile({ id: newId(), kind: "markdown", markdown, x: 0, y: 0, ...NEW_TILE.markdown }, { place: true });
      showEmpty();
    });
  }

  /** The columns of the dashboard's charts you may read, name → family. */
  async function knownColumns() {
    let mine;
    try {
      mine = await charts();
    } catch {
      return new Map();
    }
    const ids = new Set(tiles.filter((t) => t.spec.kind === "chart").map((t) => t.spec.chart_id));
    return sourceColumns(mine.filter((c) => ids.has(c.id)));
  }

  function addFilter() {
    openAddFilter({
      listId: `filter-columns-${id}`,
      columns: knownColumns,
      taken: (name) => editing.filters.some((f) => f.column === name),
      onAdd: (filter) => {
        editing.filters.push(filter);
        drawFilters();
      },
    });
  }

  // ----- start

  ui.force.addEventListener("click", forceRefresh);
  ui.edit.addEventListener("click", startEditing);
  ui.share.addEventListener("click", () =>
    openShareDialog(dashboard, {
      onSaved: (answer) => {
        dashboard = { ...dashboard, shares: answer.shares };
        say("success", "Sharing saved.");
      },
    }),
  );
  ui.schedule.addEventListener("click", () =>
    openScheduleDialog({
      target: { kind: "dashboard", id, name: dashboard.title },
      connections: Object.values(dashboard.charts || {}).map((c) => c.connection),
    }),
  );
  addEventListener("pagehide", () => clearInterval(timer));

  try {
    dashboard = await get(path);
  } catch (error) {
    ui.title.textContent = error.status === 404 ? "Dashboard not found" : failureTitle(error);
    document.title = `${ui.title.textContent} · Belvedere`;
    say(
      "warning",
      error.status === 404 ? "There is no such dashboard, or it is not shared with you." : error.message,
      " ",
      h("a", { href: "/dashboards" }, "All dashboards"),
    );
    ui.root.dataset.state = "error";
    return;
  }
  ui.root.dataset.state = "ready";
  if (user?.permissions?.includes("edit_charts"))
    byId("dashboard-view-actions").append(exportButton(id, (message) => say("warning", message)));
  drawHead();
  drawTiles();
  drawFilters();
  recall();
  ui.force.disabled = false;
  loadAll(false);
  schedule();
  addEventListener("popstate", () => {
    if (editing) return;
    recall();
    loadAll(false, { changedOnly: true });
  });
  const wantsEdit = new URLSearchParams(location.search).get("edit") === "1";
  if (wantsEdit && !ui.edit.hidden) {
    history.replaceState(null, "", location.pathname);
    startEditing();
  }
}
