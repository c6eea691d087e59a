// SQL Lab: connection picker, schema sidebar, editor, run/cancel, results and history.
import { get } from "./api.js";
import { byId, h, replace } from "./dom.js";
import { createEditor } from "./editor.js";
import { STATUS_LABELS, TERMINAL, duration } from "./format.js";
import { createGrid } from "./grid.js";
import { createHistory } from "./history.js";
import { createOutcomeView } from "./outcome.js";
import { cancel, follow, submit } from "./runs.js";
import { createSchemaBrowser } from "./schema.js";
import { splitter } from "./splitter.js";
import { load, save } from "./storage.js";

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);
const SAVE_DELAY_MS = 250;

export function init() {
  const ui = {
    connection: byId("connection"),
    run: byId("run"),
    cancel: byId("cancel"),
    status: byId("run-status"),
    elapsed: byId("elapsed"),
    results: byId("results"),
    notice: byId("result-notice"),
    summary: byId("result-summary"),
    downloads: byId("downloads"),
    resultsTab: byId("tab-results"),
    historyTab: byId("tab-history"),
    resultsPanel: byId("results-panel"),
    historyPanel: byId("history-panel"),
  };
  let connections = [];
  let active = null; // the run being followed: {id, cancelRequested, timer, started, base, sql}
  let saveTimer = null;

  // Editor, with its text kept across reloads.
  const editor = createEditor(byId("editor"), {
    doc: load("sqllab.sql", ""),
    onChange: (text) => {
      clearTimeout(saveTimer);
      saveTimer = setTimeout(() => save("sqllab.sql", text), SAVE_DELAY_MS);
    },
    onSelection: (selected) => {
      ui.run.textContent = selected ? "Run selection" : "Run";
    },
    onRun: () => runQuery(),
  });
  addEventListener("pagehide", () => save("sqllab.sql", editor.text()));

  const schema = createSchemaBrowser(byId("schema-tree"), byId("schema-filter"), {
    onInsert: (text) => editor.insert(text),
  });
  const outcome = createOutcomeView(ui, { grid: createGrid(ui.results, byId("pager")), editor });
  const history = createHistory(ui.historyPanel, { onPick: (run) => showPicked(run) });

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

  // ----- connections and catalog

  const current = () => connections.find((c) => c.name === ui.connection.value) || null;

  async function loadCatalog() {
    const connection = current();
    if (!connection) return;
    editor.configure(connection.kind);
    const tables = await schema.load(connection.name, connection.kind);
    if (tables && current() === connection) editor.configure(connection.kind, tables);
  }

  async function loadConnections() {
    try {
      connections = await get("/api/v1/connections");
    } catch (error) {
      replace(
        byId("schema-tree"),
        h("p", { class: "error-message" }, `Could not list connections: ${error.message}`),
      );
      return;
    }
    replace(
      ui.connection,
      connections.map((c) => h("option", { value: c.name }, `${c.name} (${c.kind})`)),
    );
    if (connections.length === 0) {
      ui.connection.disabled = true;
      ui.run.disabled = true;
      replace(
        byId("schema-tree"),
        h("p", { class: "empty" }, "No connections yet. ", h("a", { href: "/connections" }, "Add one"), "."),
      );
      return;
    }
    const remembered = load("sqllab.connection");
    ui.connection.value = connections.some((c) => c.name === remembered) ? remembered : connections[0].name;
    await loadCatalog();
  }

  ui.connection.addEventListener("change", () => {
    save("sqllab.connection", ui.connection.value);
    loadCatalog();
  });
  byId("schema-refresh").addEventListener("click", loadCatalog);

  // ----- tabs

  function showTab(name) {
    const results = name === "results";
    ui.resultsTab.setAttribute("aria-selected", String(results));
    ui.historyTab.setAttribute("aria-selected", String(!results));
    ui.resultsPanel.hidden = !results;
    ui.historyPanel.hidden = results;
    if (!results) history.refresh();
  }
  ui.resultsTab.addEventListener("click", () => showTab("results"));
  ui.historyTab.addEventListener("click", () => showTab("history"));

  // ----- status and elapsed time

  function setStatus(status, elapsedText = "") {
    ui.status.dataset.status = status;
    ui.status.textContent = status === "idle" ? "Ready" : STATUS_LABELS[status] || status;
    ui.elapsed.textContent = elapsedText;
  }

  // ----- running

  function begin(context) {
    const started = performance.now() - (context.elapsedMs || 0);
    active = { id: null, cancelRequested: false, started, ...context };
    ui.run.disabled = true;
    ui.cancel.disabled = false;
    ui.cancel.textContent = "Cancel";
    outcome.running();
    setStatus("running", `${((performance.now() - started) / 1000).toFixed(1)} s`);
    active.timer = setInterval(() => {
      ui.elapsed.textContent = `${((performance.now() - active.started) / 1000).toFixed(1)} s`;
    }, 100);
    showTab("results");
  }

  function progress(run) {
    if (!active || active.id !== run.id) return;
    ui.status.dataset.status = run.status;
    ui.status.textContent = STATUS_LABELS[run.status];
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
    save("sqllab.sql", editor.text());
    begin({ base: from, sql });
    const context = active;
    const first = await submit({ connection: connection.name, sql });
    if (active !== context) return;
    if (!first.run) return finish(null, first.error);
    context.id = first.run.id;
    if (context.cancelRequested) requestCancel();
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

  function finish(run, error) {
    const context = active;
    clearInterval(context?.timer);
    active = null;
    ui.run.disabled = !current();
    ui.cancel.disabled = true;
    ui.cancel.textContent = "Cancel";
    if (run) {
      setStatus(run.status, duration(run.elapsed_ms));
      outcome.show(run, error, context);
    } else {
      setStatus("failed", "");
      outcome.failure(error);
    }
    if (!ui.historyPanel.hidden) history.refresh();
  }

  /** A run picked in the history: its SQL in the editor, its outcome in the results. */
  function showPicked(run) {
    if (active) return;
    editor.setText(run.sql);
    if (run.connection !== ui.connection.value && connections.some((c) => c.name === run.connection)) {
      ui.connection.value = run.connection;
      save("sqllab.connection", run.connection);
      loadCatalog();
    }
    showTab("results");
    if (TERMINAL.has(run.status)) {
      setStatus(run.status, duration(run.elapsed_ms));
      outcome.show(run, run.error, { base: 0, sql: run.sql });
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
    }
  });

  loadConnections();
  editor.focus();
}
