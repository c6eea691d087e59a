// SQL Lab: query tabs (each with its connection, SQL, last result and history, kept across
// reloads per user), connection picker (with your authorization of per-user connections), schema
// browser, editor with its cost estimate, run/cancel, table previews and exports, results (named
// downloads, "Chart this result"), history and saved queries (a link's `?saved=<id>` opens one;
// "Open in SQL Lab" elsewhere opens a new tab through session storage).
import { get } from "../lib/api.js";
import { needsAuthorization } from "../components/authorize.js";
import { Catalog } from "../lib/catalog.js";
import { prefetchColumns } from "../lib/columns.js";
import { defaultSchemaFor, projectFor, tableName } from "../lib/dialects.js";
import { byId, h, replace } from "../lib/dom.js";
import { createEditor } from "../components/editor.js";
import { openChartResult } from "../components/chart-result.js";
import { createQueryTabs } from "../components/query-tabs.js";
import { activeTab, addTab, closeTab, readTabs, recordRun, updateTab } from "../lib/query-tabs.js";
import { createEstimate } from "../components/estimate.js";
import { STATUS_LABELS, TERMINAL, duration } from "../lib/format.js";
import { createGrid } from "../components/grid.js";
import { createRunProgress } from "../components/run-progress.js";
import { createGrants } from "../components/grants.js";
import { createHistory } from "../components/history.js";
import { createOutcomeView } from "../components/outcome.js";
import { PREVIEW_ROWS, cancel, follow, submit, submitSaved } from "../lib/runs.js";
import { createSaved } from "../components/saved.js";
import { createSchemaBrowser } from "../components/schema.js";
import { splitter } from "../components/splitter.js";
import { load, loadJSON, save, saveJSON } from "../lib/storage.js";

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);
const SAVE_DELAY_MS = 250;
const PREFETCH_DELAY_MS = 400;
/** Where another page leaves a query to open in a new tab ("Open in SQL Lab"). */
export const OPEN_KEY = "belvedere.sqllab.open";
const EMPTY_TEXT = `Write a query and press ${IS_MAC ? "⌘ Enter" : "Ctrl+Enter"} to run it.`;

export function init(page, user) {
  const ui = {
    connection: byId("connection"),
    run: byId("run"),
    cancel: byId("cancel"),
    status: byId("run-status"),
    elapsed: byId("elapsed"),
    results: byId("results"),
    notice: byId("result-notice"),
    summary: byId("result-summary"),
    cost: byId("run-cost"),
    downloads: byId("downloads"),
    resultsTab: byId("tab-results"),
    historyTab: byId("tab-history"),
    savedTab: byId("tab-saved"),
    resultsPanel: byId("results-panel"),
    historyPanel: byId("history-panel"),
    savedPanel: byId("saved-panel"),
    save: byId("save"),
    savedTitle: byId("saved-title"),
    identity: byId("connection-identity"),
    queryTabs: byId("query-tabs"),
    chartResult: byId("chart-result"),
  };
  // The query tabs, kept in local storage per user; the first visit takes the single editor's
  // text of old. Tabs not shown keep their editor state (cursor, undo) while the page lives.
  const TABS_KEY = `sqllab.tabs.${user?.username || "anonymous"}`;
  let tabs = readTabs(loadJSON(TABS_KEY), {
    sql: load("sqllab.sql", ""),
    connection: load("sqllab.connection"),
  });
  const editorStates = new Map();
  let shown = null; // the succeeded SQL run the results show ("Chart this result" charts it)
  let showing = 0; // counts the tab results drawn: a late answer for an older one is dropped
  const canChart = Boolean(user?.permissions?.includes("edit_charts"));
  let connections = [];
  // The run being followed: {id, tabId, cancelRequested, timer, started, base, sql} for SQL, or
  // {table, export, format} for a direct read of a table. One at a time, whichever tab.
  let active = null;
  let saveTimer = null;
  let prefetchTimer = null;
  const catalogs = new Map(); // connection name -> Catalog, kept while the page lives

  // Editor, showing the active tab; its text kept across reloads.
  const editor = createEditor(byId("editor"), {
    doc: activeTab(tabs).sql,
    onChange: () => {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(persistTabs, SAVE_DELAY_MS);
      clearTimeout(prefetchTimer);
      prefetchTimer = setTimeout(prefetch, PREFETCH_DELAY_MS);
      saved.changed();
    },
    onSelection: (selected) => {
      ui.run.textContent = selected ? "Run selection" : "Run";
    },
    onRunnable: () => estimate.schedule(),
    onRun: () => runQuery(),
  });
  editor.loadState(null, activeTab(tabs).sql, activeTab(tabs).anchor, activeTab(tabs).head);
  addEventListener("pagehide", () => persistTabs());
  const estimate = createEstimate(byId("estimate"), { editor });

  const schema = createSchemaBrowser(
    {
      tree: byId("schema-tree"),
      filter: byId("schema-filter"),
      info: byId("catalog-info"),
      refresh: byId("schema-refresh"),
    },
    {
      onInsert: (text) => editor.insert(text),
      onPreview: (table) => readTable(table),
      onExport: (table, format) => readTable(table, { export: true, format }),
      onQuery: (table) => queryTable(table),
      busy: () => Boolean(active),
      onLoaded: (catalog) => {
        const connection = current();
        if (connection && catalogs.get(connection.name) === catalog) editor.configure(connection, catalog);
      },
    },
  );
  const outcome = createOutcomeView(ui, {
    grid: createGrid(ui.results, byId("pager")),
    editor,
    onTableRead: (table, options) => readTable(table, options),
    onQueryTable: (table) => queryTable(table),
    dialectOf: (name) => connections.find((c) => c.name === name)?.dialect,
    downloadName: () => saved.current()?.name || activeTab(tabs).title,
  });
  const history = createHistory(ui.historyPanel, {
    onPick: (run) => showPicked(run),
    scope: () => ({ label: activeTab(tabs).title, ids: new Set(activeTab(tabs).runs) }),
  });
  const grants = createGrants(ui.identity, {
    notice: ui.notice,
    onDisconnected: (name) => {
      catalogs.delete(name); // listed as you: gone with your grant
      if (current()?.name === name) loadCatalog();
    },
  });
  const saved = createSaved(
    { panel: ui.savedPanel, save: ui.save, title: ui.savedTitle },
    {
      editor,
      connection: () => current()?.name || null,
      selectConnection: (name) => selectConnection(name),
      run: (query) => runSaved(query),
      busy: () => Boolean(active),
    },
  );

  splitter(byId("sidebar-splitter"), {
    target: byId("sqllab"),
    variable: "--sidebar-width",
    axis: "x",
    min: 160,
    max: 600,
    key: "sqllab.sidebar",
  });
  splitter(byId("editor-splitter"), {
    target: document.querySelector(".workspace"),
    variable: "--editor-height",
    axis: "y",
    min: 80,
    max: () => document.querySelector(".workspace").clientHeight - 120,
    key: "sqllab.editor",
  });
  byId("shortcut-hint").textContent = IS_MAC ? "⌘ Enter" : "Ctrl+Enter";
  ui.run.title = `Run (${IS_MAC ? "⌘ Enter" : "Ctrl+Enter"})`;
  ui.save.title = `Save (${IS_MAC ? "⌘ S" : "Ctrl+S"})`;

  // ----- connections and catalog

  const current = () => connections.find((c) => c.name === ui.connection.value) || null;

  function catalogOf(connection) {
    if (!catalogs.has(connection.name)) catalogs.set(connection.name, new Catalog(connection));
    return catalogs.get(connection.name);
  }

  async function loadCatalog() {
    const connection = current();
    grants.show(connection);
    if (!connection) return;
    const catalog = catalogOf(connection);
    editor.configure(connection, catalog.data ? catalog : null);
    estimate.setConnection(connection);
    await schema.load(catalog, connection);
  }

  /** Fetch the columns of the tables the editor's text reads, for completion. */
  function prefetch() {
    const connection = current();
    const catalog = connection && catalogs.get(connection.name);
    if (catalog?.data) prefetchColumns(catalog, editor.text(), defaultSchemaFor(connection));
  }

  async function loadConnections() {
    try {
      connections = await get("/api/v1/connections", { built_in: true });
    } catch (error) {
      schema.message(h("p", { class: "error-message" }, `Could not list connections: ${error.message}`));
      return;
    }
    await grants.load();
    replace(
      ui.connection,
      connections.map((c) =>
        h("option", { value: c.name }, `${c.name} (${c.kind}${grants.perUser(c) ? ", as you" : ""})`),
      ),
    );
    if (connections.length === 0) {
      ui.connection.disabled = true;
      ui.run.disabled = true;
      schema.message(
        h("p", { class: "empty" }, "No connections yet. ", h("a", { href: "/connections" }, "Add one"), "."),
      );
      return;
    }
    const remembered = activeTab(tabs).connection || load("sqllab.connection");
    ui.connection.value = connections.some((c) => c.name === remembered) ? remembered : connections[0].name;
    if (!activeTab(tabs).connection) rememberConnection(ui.connection.value);
    if (openAsked()) {
      grants.welcomeBack();
      return loadCatalog();
    }
    const linked = await linkedSavedQuery();
    if (linked && connections.some((c) => c.name === linked.connection))
      ui.connection.value = linked.connection;
    if (linked) saved.open(linked);
    await loadCatalog();
    await showTabResults(activeTab(tabs));
    grants.welcomeBack(); // after the tab's result, which would clear the notice line
  }

  /**
   * A query another page asked to open ("Open in SQL Lab": {connection_id, sql, title} in
   * session storage), read once: in a new tab. False if there is none.
   */
  function openAsked() {
    let asked = null;
    try {
      const text = sessionStorage.getItem(OPEN_KEY);
      sessionStorage.removeItem(OPEN_KEY);
      asked = JSON.parse(text || "null");
    } catch {
      asked = null;
    }
    if (!asked || typeof asked.sql !== "string") return false;
    const wanted = asked.connection_id ?? asked.connection;
    const known = connections.find((c) => c.name === wanted || (c.id != null && c.id === wanted));
    if (known) ui.connection.value = known.name; // its catalog loads next
    openTab({ title: asked.title, sql: asked.sql, connection: ui.connection.value });
    if (wanted && !known) {
      replace(
        ui.notice,
        h(
          "p",
          { class: "notice warning", role: "alert" },
          `The connection “${wanted}” is not available to you.`,
        ),
      );
    }
    return true;
  }

  /** The saved query a link names (`/sqllab?saved=<id>`), read once; null if none or unreadable. */
  async function linkedSavedQuery() {
    const id = new URLSearchParams(location.search).get("saved");
    if (!id) return null;
    window.history.replaceState(null, "", location.pathname); // `history` is the run history here
    try {
      return await get(`/api/v1/saved-queries/${encodeURIComponent(id)}`);
    } catch (error) {
      const why = error.status === 404 ? "it does not exist, or it is not shared with you" : error.message;
      replace(
        ui.notice,
        h("p", { class: "notice warning", role: "alert" }, `Could not open saved query ${id}: ${why}.`),
      );
      return null;
    }
  }

  ui.connection.addEventListener("change", () => {
    rememberConnection(ui.connection.value);
    loadCatalog();
  });

  /** The shown tab's connection (and the one new tabs start on). */
  function rememberConnection(name) {
    save("sqllab.connection", name);
    tabs = updateTab(tabs, tabs.active, { connection: name });
    saveJSON(TABS_KEY, tabs);
  }

  /** Pick a connection (a saved query's, a run's); false if there is none of that name. */
  function selectConnection(name) {
    if (!connections.some((c) => c.name === name)) return false;
    if (ui.connection.value !== name) {
      ui.connection.value = name;
      rememberConnection(name);
      loadCatalog();
    }
    return true;
  }

  // ----- query tabs: each with its connection, SQL (cursor, undo), last result and history

  const strip = createQueryTabs(ui.queryTabs, {
    onSelect: (id) => selectTab(id),
    onAdd: () => openTab({ connection: ui.connection.value || null }),
    onClose: (id) => closeQueryTab(id),
    onRename: (id, title) => {
      tabs = updateTab(tabs, id, { title });
      saveJSON(TABS_KEY, tabs);
      drawTabs();
    },
  });
  const drawTabs = () => strip.render(tabs, active?.tabId ?? null);

  /** Keep the shown tab's text, cursor and open saved query in the tabs, and store them. */
  function persistTabs() {
    clearTimeout(saveTimer);
    const { anchor, head } = editor.view.state.selection.main;
    const savedId = saved.current()?.id ?? null;
    tabs = updateTab(tabs, tabs.active, { sql: editor.text(), anchor, head, savedId });
    saveJSON(TABS_KEY, tabs);
  }

  /** Leave the shown tab: its editor state is kept for when it shows again. */
  function leaveTab() {
    persistTabs();
    editorStates.set(tabs.active, editor.saveState());
  }

  function selectTab(id) {
    if (id === tabs.active || !tabs.tabs.some((tab) => tab.id === id)) return;
    leaveTab();
    tabs = { ...tabs, active: id };
    saveJSON(TABS_KEY, tabs);
    showActiveTab();
  }

  /** A new tab ({title, connection, sql}), shown. */
  function openTab(fields) {
    leaveTab();
    tabs = addTab(tabs, fields);
    for (const id of editorStates.keys()) {
      if (!tabs.tabs.some((tab) => tab.id === id)) editorStates.delete(id); // past the limit
    }
    saveJSON(TABS_KEY, tabs);
    showActiveTab();
  }

  /** Close a tab (its running query is cancelled): it is forgotten. */
  function closeQueryTab(id) {
    if (active?.tabId === id) requestCancel();
    const shownClosed = tabs.active === id;
    if (!shownClosed) persistTabs();
    editorStates.delete(id);
    tabs = closeTab(tabs, id);
    saveJSON(TABS_KEY, tabs);
    if (shownClosed) showActiveTab();
    else drawTabs();
  }

  /** Show the active tab: its text and cursor, saved query, connection and last result. */
  function showActiveTab() {
    const tab = activeTab(tabs);
    editor.loadState(editorStates.get(tab.id) || null, tab.sql, tab.anchor, tab.head);
    editor.clearErrors();
    saved.use(tab.savedId);
    const wanted = connections.some((c) => c.name === tab.connection) ? tab.connection : ui.connection.value;
    if (!tab.connection && wanted) rememberConnection(wanted);
    if (wanted && wanted !== ui.connection.value) {
      ui.connection.value = wanted;
      save("sqllab.connection", wanted);
      loadCatalog();
    } else {
      const connection = current();
      const catalog = connection && catalogs.get(connection.name);
      if (connection) editor.configure(connection, catalog?.data ? catalog : null);
      estimate.schedule();
    }
    drawTabs();
    showTabResults(tab);
    editor.focus();
  }

  /** A tab's last result: fetched again from the run's stored result, if still there. */
  async function showTabResults(tab) {
    const mine = ++showing;
    showResult(null);
    if (!ui.historyPanel.hidden) history.refresh();
    if (active?.tabId === tab.id) {
      outcome.running(active.table ? "Reading…" : "Running…");
      setStatus(active.status || "running");
      return;
    }
    if (!tab.runId) {
      setStatus("idle");
      outcome.message(EMPTY_TEXT);
      return;
    }
    outcome.message("Loading the last result…");
    let run;
    try {
      run = await get(`/api/v1/runs/${encodeURIComponent(tab.runId)}`);
    } catch {
      if (mine !== showing) return;
      setStatus("idle");
      outcome.expired();
      return;
    }
    if (mine !== showing) return;
    if (!TERMINAL.has(run.status)) {
      if (active) return outcome.message("Another tab's query is running: this tab's ends meanwhile.");
      begin({ base: 0, sql: run.sql, id: run.id, tabId: tab.id, elapsedMs: run.elapsed_ms || 0 });
      track(run);
      return;
    }
    setStatus(run.status, duration(run.elapsed_ms));
    outcome.show(run, run.error, { base: 0, sql: "" }); // no error mark: the cursor stays
    showResult(run);
  }

  // ----- "Chart this result": saved as a saved query, charted in the builder

  /** The run the results show; "Chart this result" is offered for a succeeded query. */
  function showResult(run) {
    shown = run?.status === "succeeded" && !run.table && run.sql && !run.sql_hidden ? run : null;
    ui.chartResult.hidden = !shown || !canChart;
  }

  function chartResult() {
    const run = shown;
    if (!run) return;
    const open = saved.current();
    const name = open && open.sql === run.sql ? open.name : activeTab(tabs).title;
    openChartResult(run, name);
  }
  ui.chartResult.addEventListener("click", chartResult);

  // ----- tabs

  const TABS = {
    results: [ui.resultsTab, ui.resultsPanel],
    history: [ui.historyTab, ui.historyPanel],
    saved: [ui.savedTab, ui.savedPanel],
  };

  function showTab(name) {
    for (const [key, [tab, panel]] of Object.entries(TABS)) {
      tab.setAttribute("aria-selected", String(key === name));
      panel.hidden = key !== name;
    }
    if (name === "history") history.refresh();
    if (name === "saved") saved.refresh();
  }
  for (const [key, [tab]] of Object.entries(TABS)) tab.addEventListener("click", () => showTab(key));

  // ----- status and elapsed time

  function setStatus(status, elapsedText = "") {
    ui.status.dataset.status = status;
    ui.status.textContent = status === "idle" ? "Ready" : STATUS_LABELS[status] || status;
    ui.elapsed.textContent = elapsedText;
  }

  // ----- running

  function begin(context) {
    const started = performance.now() - (context.elapsedMs || 0);
    active = { id: null, tabId: tabs.active, cancelRequested: false, started, ...context };
    showResult(null);
    ui.run.disabled = true;
    ui.cancel.disabled = false;
    ui.cancel.textContent = "Cancel";
    const name = context.table && `${context.table.schema}.${context.table.name}`;
    outcome.running(name ? `${context.export ? "Exporting" : "Reading"} ${name}…` : "Running…");
    setStatus("running", `${((performance.now() - started) / 1000).toFixed(1)} s`);
    active.timer = setInterval(() => {
      if (active.tabId !== tabs.active) return; // another tab shows
      ui.elapsed.textContent = `${((performance.now() - active.started) / 1000).toFixed(1)} s`;
    }, 100);
    showTab("results");
    drawTabs();
  }

  const runProgress = createRunProgress(ui.elapsed, { status: ui.status });

  function progress(run) {
    if (!active || active.id !== run.id) return;
    active.status = run.status;
    if (active.tabId !== tabs.active) return;
    ui.status.dataset.status = run.status;
    ui.status.textContent = STATUS_LABELS[run.status];
    runProgress.show(run); // bytes processed, slot time (hides itself when the status ends)
  }

  async function runQuery() {
    if (active || ui.run.disabled) return;
    const connection = current();
    if (!connection) return;
    const { sql, from } = editor.runnable();
    if (!sql.trim()) {
      setStatus("idle", "");
      outcome.message("Nothing to run: the editor is empty.");
      return;
    }
    editor.clearErrors();
    persistTabs();
    start({ base: from, sql, connection: connection.name }, () =>
      submit({ connection: connection.name, sql }),
    );
  }

  /** Run a saved query (already loaded in the editor) through its own endpoint. */
  function runSaved(query) {
    if (active) return;
    editor.clearErrors();
    start({ base: 0, sql: query.sql, connection: query.connection }, () => submitSaved(query.id));
  }

  /** Preview a table (its first rows), or export all of it, reading it directly (no SQL). */
  function readTable(table, { export: whole = false, format = null } = {}) {
    const connection = current();
    if (active || !connection) return;
    const body = { connection: connection.name, table: { schema: table.schema, name: table.name } };
    if (whole) body.export = true;
    else body.max_rows = PREVIEW_ROWS;
    start({ base: 0, sql: "", table, export: whole, format, connection: connection.name }, () =>
      submit(body),
    );
  }

  /** Write a query reading a table (views cannot be read directly on BigQuery). */
  function queryTable(table) {
    const connection = current();
    if (!connection) return;
    const name = tableName(
      table.schema,
      table.name,
      connection.dialect,
      defaultSchemaFor(connection),
      projectFor(connection),
    );
    const text = `SELECT * FROM ${name} LIMIT ${PREVIEW_ROWS}`;
    saved.replacing(text);
    editor.setText(text);
    editor.focus();
  }

  /** Run: `send()` submits and resolves to {run, error} (see runs.js). */
  async function start(context, send) {
    begin(context);
    const mine = active;
    const first = await send();
    if (active !== mine) return;
    if (!first.run) return finish(null, first.error);
    mine.id = first.run.id;
    record(mine.tabId, first.run.id); // a reload while it runs follows it again
    if (mine.cancelRequested) requestCancel();
    track(first.run);
  }

  /** Follow a run (submitted here, or picked from history while still running) to its end. */
  async function track(run) {
    const context = active;
    progress(run);
    const { run: last, error } = TERMINAL.has(run.status)
      ? { run, error: run.error }
      : await follow(run, { onProgress: progress, isStale: () => active !== context });
    if (active !== context) return;
    if (TERMINAL.has(last.status)) finish(last, error);
    else finish(null, error); // lost track of it (e.g. the run vanished)
  }

  async function requestCancel() {
    if (!active) return;
    ui.cancel.disabled = true;
    ui.cancel.textContent = "Cancelling…";
    if (!active.id) {
      active.cancelRequested = true; // the submission has not answered yet
      return;
    }
    const context = active;
    try {
      const run = await cancel(context.id);
      if (active === context && TERMINAL.has(run.status)) finish(run, run.error);
    } catch (error) {
      if (active !== context) return;
      ui.cancel.disabled = false;
      ui.cancel.textContent = "Cancel";
      replace(ui.notice, h("p", { class: "notice warning" }, `Could not cancel: ${error.message}`));
    }
  }

  /** Run `runId` is tab `tabId`'s last, in its history. */
  function record(tabId, runId) {
    tabs = recordRun(tabs, tabId, runId);
    saveJSON(TABS_KEY, tabs);
  }

  function finish(run, error) {
    const context = active;
    clearInterval(context?.timer);
    active = null;
    ui.run.disabled = !current();
    ui.cancel.disabled = true;
    ui.cancel.textContent = "Cancel";
    if (run) record(context?.tabId ?? tabs.active, run.id);
    drawTabs();
    if (context && context.tabId !== tabs.active) return; // its tab shows it when picked
    if (needsAuthorization(error || run?.error)) {
      // Nothing wrong with the query: the user must first connect their account.
      setStatus("blocked", "");
      ui.status.textContent = "Not connected";
      grants.revoked(run?.connection || context?.connection);
    } else if (run) setStatus(run.status, duration(run.elapsed_ms));
    else setStatus("failed", "");
    if (run) outcome.show(run, error, context);
    else outcome.failure(error, context);
    showResult(run);
    if (!ui.historyPanel.hidden) history.refresh();
  }

  /**
   * A run picked in the history: its SQL in the editor (not for a direct table read: the editor
   * keeps its text), its outcome in the results.
   */
  function showPicked(run) {
    if (active) return;
    if (!run.table && !run.sql_hidden && run.sql !== editor.text()) {
      saved.replacing(run.sql);
      editor.setText(run.sql);
    }
    if (run.connection !== ui.connection.value && connections.some((c) => c.name === run.connection)) {
      ui.connection.value = run.connection;
      rememberConnection(run.connection);
      loadCatalog();
    }
    showTab("results");
    showing += 1; // a tab's last result still loading is not drawn over this one
    record(tabs.active, run.id);
    if (TERMINAL.has(run.status)) {
      setStatus(run.status, duration(run.elapsed_ms));
      outcome.show(run, run.error, { base: 0, sql: run.table ? "" : run.sql });
      showResult(run);
      return;
    }
    begin({ base: 0, sql: run.sql, id: run.id, elapsedMs: run.elapsed_ms || 0 });
    track(run);
  }

  // ----- wiring

  ui.run.addEventListener("click", () => runQuery());
  ui.cancel.addEventListener("click", () => requestCancel());
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
      event.preventDefault();
      runQuery();
    } else if (event.key.toLowerCase() === "s" && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault(); // never the browser's "Save page as"
      if (!document.querySelector("dialog[open]")) saved.openSave();
    }
  });

  drawTabs();
  loadConnections();
  editor.focus();
}
