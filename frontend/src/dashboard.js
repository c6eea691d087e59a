// A dashboard: a grid of tiles (gridstack), each chart loading on its own; a filter bar whose
// values reach every chart; force refresh; auto-refresh every `refresh_seconds`. Owners and
// editors switch to an edit mode (drag, resize, add and remove tiles and filters, title and
// refresh interval; Save sends the whole layout); the owner shares it.
import { GridStack } from "gridstack";
import { get, patch, post } from "./api.js";
import { failureTitle } from "./chart-errors.js";
import { createFilterBar } from "./dashboard-filters.js";
import { createTile } from "./dashboard-tile.js";
import { field, openDialog } from "./dialog.js";
import { byId, h, replace } from "./dom.js";
import { clock } from "./format.js";
import { openShareDialog } from "./share-dialog.js";

const COLUMNS = 12;
const ROW_PX = 80;
const NEW_CHART = { w: 6, h: 4 };
const NEW_TEXT = { w: 4, h: 2 };
const REFRESH_CHOICES = [
  [0, "Off"],
  [60, "Every minute"],
  [300, "Every 5 minutes"],
  [900, "Every 15 minutes"],
  [1800, "Every 30 minutes"],
  [3600, "Every hour"],
];
const TEMPORAL = /date|time/i;

const newId = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

function refreshLabel(seconds) {
  if (!seconds) return "";
  const known = REFRESH_CHOICES.find(([s]) => s === seconds);
  return known ? `Refreshes ${known[1].toLowerCase()}` : `Refreshes every ${seconds} s`;
}

export async function init(page) {
  const ui = {
    root: byId("dashboard"),
    title: byId("dashboard-title"),
    access: byId("dashboard-access"),
    refreshed: byId("dashboard-refreshed"),
    force: byId("dashboard-force-refresh"),
    edit: byId("dashboard-edit"),
    share: byId("dashboard-share"),
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
  let applied = []; // the filter values the tiles show
  let timer = null;
  let myCharts = null; // your charts (GET /charts), fetched when a chart tile is added

  const grid = GridStack.init(
    {
      column: COLUMNS,
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
      loadAll(false);
    },
    onRemove: (index) => {
      editing.filters.splice(index, 1);
      filterBar.render(editing.filters, true, dashboard.filters);
    },
  });

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

  function addTile(spec, { place = false } = {}) {
    const tile = createTile(spec, {
      dashboardId: id,
      chart: spec.kind === "chart" ? chartInfo(spec.chart_id) : null,
      unsaved: place,
      onRemove: (t) => removeTile(t),
      onEdit: (t) => editText(t),
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

  /** Reload every chart tile (each on its own: none waits for another). */
  function loadAll(force) {
    for (const tile of tiles) tile.load(applied, force);
    ui.refreshed.textContent = [refreshLabel(dashboard.refresh_seconds), `Loaded at ${clock(new Date())}`]
      .filter(Boolean)
      .join(" · ");
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
    ui.force.hidden = Boolean(editing);
    ui.root.dataset.mode = editing ? "edit" : "view";
  }

  // ----- edit mode

  function refreshSelect(value) {
    const choices = [...REFRESH_CHOICES];
    if (value && !choices.some(([s]) => s === value)) choices.push([value, `Every ${value} s`]);
    return h(
      "select",
      {
        "data-testid": "dashboard-refresh-seconds",
        onchange: (event) => (editing.refresh_seconds = Number(event.target.value) || null),
      },
      choices.map(([s, label]) => h("option", { value: String(s), selected: s === (value || 0) }, label)),
    );
  }

  function drawEditbar() {
    if (!editing) {
      ui.editbar.hidden = true;
      replace(ui.editbar);
      return;
    }
    const title = h("input", {
      type: "text",
      value: editing.title,
      maxlength: "200",
      required: true,
      "data-testid": "dashboard-title-input",
      oninput: (event) => (editing.title = event.target.value),
    });
    const error = h("p", {
      class: "error-message",
      role: "alert",
      "data-testid": "dashboard-save-error",
      hidden: true,
    });
    const save = h(
      "button",
      {
        type: "button",
        class: "primary",
        "data-testid": "dashboard-save",
        onclick: () => saveEdits(save, error),
      },
      "Save",
    );
    ui.editbar.hidden = false;
    replace(
      ui.editbar,
      h(
        "div",
        { class: "editbar-row" },
        field("Title", title),
        field("Auto-refresh", refreshSelect(editing.refresh_seconds)),
        h(
          "div",
          { class: "editbar-actions" },
          page.edit_charts &&
            h("button", { type: "button", "data-testid": "add-chart-tile", onclick: addChart }, "+ Chart"),
          h(
            "button",
            { type: "button", "data-testid": "add-markdown-tile", onclick: () => editText(null) },
            "+ Text",
          ),
          h(
            "button",
            { type: "button", "data-testid": "add-dashboard-filter", onclick: addFilter },
            "+ Filter",
          ),
        ),
        h("span", { class: "spacer" }),
        h(
          "button",
          { type: "button", "data-testid": "dashboard-cancel-edit", onclick: cancelEdits },
          "Cancel",
        ),
        save,
      ),
      error,
      h("p", { class: "help" }, "Drag tiles by their title bar; resize them from their corners."),
    );
  }

  function startEditing() {
    editing = {
      title: dashboard.title,
      filters: dashboard.filters.map((f) => ({ ...f })),
      refresh_seconds: dashboard.refresh_seconds,
    };
    grid.setStatic(false);
    tiles.forEach((t) => t.setEditing(true));
    drawHead();
    drawEditbar();
    filterBar.render(editing.filters, true, dashboard.filters);
    showEmpty();
    ui.editbar.querySelector("input")?.focus();
  }

  function stopEditing() {
    editing = null;
    grid.setStatic(true);
    tiles.forEach((t) => t.setEditing(false));
    drawHead();
    drawEditbar();
    filterBar.render(dashboard.filters, false);
    showEmpty();
  }

  function cancelEdits() {
    stopEditing();
    drawTiles(); // back to the saved layout
    loadAll(false);
    ui.edit.focus();
  }

  async function saveEdits(button, error) {
    error.hidden = true;
    const title = editing.title.trim();
    if (!title) {
      error.textContent = "Give the dashboard a title.";
      error.hidden = false;
      return;
    }
    const layout = { tiles: tiles.map((t) => t.spec).sort((a, b) => a.y - b.y || a.x - b.x) };
    button.disabled = true;
    try {
      dashboard = await patch(path, {
        title,
        layout,
        filters: editing.filters,
        refresh_seconds: editing.refresh_seconds || null,
      });
    } catch (e) {
      error.textContent = `Could not save: ${e.message}`;
      error.hidden = false;
      button.disabled = false;
      return;
    }
    const columns = new Set(dashboard.filters.map((f) => f.column));
    applied = applied.filter((v) => columns.has(v.column));
    tiles.forEach((t) => t.saved());
    stopEditing();
    schedule();
    say("success", "Saved.");
    ui.edit.focus();
  }

  // ----- edit dialogs

  async function addChart() {
    const select = h(
      "select",
      { name: "chart", required: true, "data-testid": "add-tile-chart" },
      h("option", { value: "" }, "Loading…"),
    );
    const dialog = openDialog({
      title: "Add a chart",
      testid: "add-tile-dialog",
      body: [
        field("Chart", select),
        h(
          "p",
          { class: "help" },
          "Your charts. ",
          h("a", { href: "/charts/new", target: "_blank" }, "Build a new one"),
          ".",
        ),
      ],
      actions: [{ label: "Add", value: "add", primary: true, testid: "add-tile-submit" }],
      onSubmit: (values) => {
        const chartId = Number(values.chart);
        if (!chartId) throw new Error("Pick a chart.");
        const tile = addTile(
          { id: newId(), kind: "chart", chart_id: chartId, x: 0, y: 0, ...NEW_CHART },
          { place: true },
        );
        showEmpty();
        tile.load(applied, false);
        tile.el.scrollIntoView({ block: "nearest" });
      },
    });
    try {
      myCharts ??= (await get("/api/v1/charts")).charts;
    } catch (error) {
      dialog.fail(`Could not list your charts: ${error.message}`);
      replace(select, h("option", { value: "" }, "No charts"));
      return;
    }
    replace(
      select,
      h(
        "option",
        { value: "", disabled: true, selected: true },
        myCharts.length ? "Pick a chart" : "You have no charts yet",
      ),
      myCharts.map((c) => h("option", { value: String(c.id) }, c.name)),
    );
    select.focus();
  }

  function editText(tile) {
    const text = h("textarea", {
      name: "markdown",
      rows: "10",
      class: "mono",
      "data-testid": "tile-markdown-input",
    });
    text.value = tile ? tile.spec.markdown : "";
    openDialog({
      title: tile ? "Edit the text" : "Add text",
      testid: "markdown-dialog",
      wide: true,
      body: field("Text (Markdown)", text, "Headings, lists, links, emphasis, tables. No HTML."),
      actions: [{ label: tile ? "Done" : "Add", value: "ok", primary: true, testid: "add-tile-submit" }],
      onSubmit: (values) => {
        if (tile) tile.setMarkdown(values.markdown);
        else {
          addTile(
            { id: newId(), kind: "markdown", markdown: values.markdown, x: 0, y: 0, ...NEW_TEXT },
            { place: true },
          );
          showEmpty();
        }
      },
    });
    text.focus();
  }

  /** Column names of the dashboard's charts you may read (suggestions for a new filter). */
  async function knownColumns() {
    const found = new Map();
    try {
      myCharts ??= (await get("/api/v1/charts")).charts;
    } catch {
      return found;
    }
    const ids = new Set(tiles.filter((t) => t.spec.kind === "chart").map((t) => t.spec.chart_id));
    const seen = new Set();
    await Promise.all(
      myCharts
        .filter((c) => ids.has(c.id))
        .filter((c) => {
          const key = JSON.stringify([c.connection, c.spec.source]);
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        })
        .map((c) =>
          post("/api/v1/charts/columns", { connection: c.connection, source: c.spec.source }).then(
            (answer) => answer.columns.forEach((col) => found.set(col.name, col.type)),
            () => {},
          ),
        ),
    );
    return found;
  }

  function addFilter() {
    const list = h("datalist", { id: `filter-columns-${id}` });
    const column = h("input", {
      name: "column",
      required: true,
      autocomplete: "off",
      list: list.id,
      "data-testid": "filter-column-input",
    });
    const kind = h(
      "select",
      { name: "kind", "data-testid": "filter-kind-input" },
      h("option", { value: "values" }, "A list of values"),
      h("option", { value: "date_range" }, "A date range"),
    );
    const label = h("input", { name: "label", autocomplete: "off", "data-testid": "filter-label-input" });
    let types = new Map();
    column.addEventListener("change", () => {
      if (TEMPORAL.test(types.get(column.value) || "")) kind.value = "date_range";
    });
    openDialog({
      title: "Add a filter",
      testid: "filter-dialog",
      body: [
        field("Column", column, "It filters every chart whose source has a column of this name."),
        list,
        field("Kind", kind),
        field("Label", label, "Empty: the column's name."),
      ],
      actions: [{ label: "Add", value: "add", primary: true, testid: "filter-add-submit" }],
      onSubmit: (values) => {
        const name = values.column.trim();
        if (!name) throw new Error("Name a column.");
        if (editing.filters.some((f) => f.column === name))
          throw new Error(`There is a filter on ${name} already.`);
        editing.filters.push({ column: name, kind: values.kind, label: values.label.trim() || name });
        filterBar.render(editing.filters, true, dashboard.filters);
      },
    });
    column.focus();
    knownColumns().then((found) => {
      types = found;
      replace(
        list,
        [...found.keys()].sort().map((name) => h("option", { value: name })),
      );
    });
  }

  // ----- start

  ui.force.addEventListener("click", () => loadAll(true));
  ui.edit.addEventListener("click", startEditing);
  ui.share.addEventListener("click", () =>
    openShareDialog(dashboard, {
      onSaved: (answer) => {
        dashboard = { ...dashboard, shares: answer.shares };
        say("success", "Sharing saved.");
      },
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
  drawHead();
  drawTiles();
  filterBar.render(dashboard.filters, false);
  ui.force.disabled = false;
  loadAll(false);
  schedule();
  const wantsEdit = new URLSearchParams(location.search).get("edit") === "1";
  if (wantsEdit && !ui.edit.hidden) {
    history.replaceState(null, "", location.pathname);
    startEditing();
  }
}
