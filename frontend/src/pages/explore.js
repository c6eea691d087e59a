// The chart builder ("explore"): pick a source and the chart's settings, run it (Ctrl+Enter)
// to draw it, look at its SQL (or open it in SQL Lab), save it, export or schedule a saved
// chart. Runs go through the explore endpoint (the settings as they are on screen, saved or
// not). Leaving with unsaved changes asks first.
import { get, patch, post } from "../lib/api.js";
import { errorBox, failureTitle } from "../components/chart-errors.js";
import { createChartView } from "../components/chart-view.js";
import { field, openDialog } from "../components/dialog.js";
import { byId, h, replace } from "../lib/dom.js";
import { createChartForm } from "../components/explore-form.js";
import { openScheduleDialog } from "../components/schedule-dialog.js";
import { draftOf, specOf } from "../lib/chart-draft.js";
import { chartCost, costDetail } from "../lib/costs.js";
import { count, duration, fullTime } from "../lib/format.js";
import { createSourcePicker } from "../components/source-picker.js";
import { load, save } from "../lib/storage.js";

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);
const API = "/api/v1/charts";
/** SQL Lab opens a new tab with what this key holds (see pages/sqllab.js). */
const SQLLAB_OPEN_KEY = "belvedere.sqllab.open";
const LEAVE_QUESTION = "This chart has changes that are not saved. Leave without saving them?";

export async function init(page, user) {
  const ui = {
    name: byId("chart-name"),
    dirty: byId("chart-dirty"),
    status: byId("chart-status"),
    cached: byId("chart-cached"),
    elapsed: byId("chart-elapsed"),
    cost: byId("chart-cost"),
    run: byId("chart-run"),
    force: byId("chart-force-refresh"),
    sql: byId("chart-view-sql"),
    save: byId("chart-save"),
    schedule: byId("chart-schedule"),
    summary: byId("chart-summary"),
    exports: byId("chart-exports"),
    error: byId("chart-error"),
    output: byId("chart-output"),
  };
  let chart = null; // the saved chart shown, if any
  let columns = [];
  let running = null; // AbortController of the run in flight
  let columnsLoad = 0;
  let dirty = false; // changes on screen that are not saved
  let leaving = false; // the user agreed to leave: no second question

  const sourceNode = h("div", { class: "source-picker" });
  const columnsNote = h("p", {
    class: "error-message",
    role: "alert",
    "data-testid": "columns-error",
    hidden: true,
  });
  const picker = createSourcePicker(sourceNode, { onChange: (value) => sourceChanged(value) });
  sourceNode.append(columnsNote);
  const form = createChartForm(byId("chart-form"), { sourceNode, onChange: () => setDirty(true) });
  const view = createChartView(ui.output);
  const shortcut = IS_MAC ? "⌘ Enter" : "Ctrl+Enter";
  ui.run.title = `Run (${shortcut})`;
  ui.save.title = `Save (${IS_MAC ? "⌘ S" : "Ctrl+S"})`;

  // ----- state shown in the toolbar

  function setDirty(changed) {
    dirty = changed;
    ui.dirty.hidden = !changed || !chart;
  }

  // ----- leaving with unsaved changes

  window.addEventListener("beforeunload", (event) => {
    if (!dirty || leaving) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers ask only when this is set
  });
  // In-app links ask in words of their own (the browser's question is generic).
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest?.("a[href]");
      if (!dirty || leaving || !link || event.defaultPrevented) return;
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      if (link.target === "_blank" || link.hasAttribute("download")) return;
      const url = new URL(link.href, location.href);
      if (url.origin !== location.origin || url.pathname === location.pathname) return;
      if (confirm(LEAVE_QUESTION)) leaving = true;
      else event.preventDefault();
    },
    true,
  );

  /** Go to `href`, asking first if there are unsaved changes. */
  function leaveTo(href) {
    if (dirty && !leaving && !confirm(LEAVE_QUESTION)) return false;
    leaving = true;
    location.href = href;
    return true;
  }

  function setStatus(status, label) {
    ui.status.dataset.status = status;
    ui.status.textContent = label;
  }

  function showChart(saved) {
    chart = saved;
    ui.name.textContent = saved ? saved.name : "New chart";
    document.title = `${saved ? saved.name : "New chart"} · Belvedere`;
    ui.exports.hidden = !saved;
    ui.schedule.hidden = !saved || !user?.permissions?.includes("run_sql");
    if (saved) {
      for (const format of ["png", "svg", "csv"]) {
        const link = byId(`chart-export-${format}`);
        link.href = `${API}/${saved.id}/export?format=${format}`;
        link.title = `Download the saved chart as ${format.toUpperCase()}`;
      }
    }
    setDirty(false);
  }

  function fail(error, title) {
    replace(ui.error, errorBox(error, title));
    ui.error.hidden = false;
  }

  function clearError() {
    ui.error.hidden = true;
    replace(ui.error);
  }

  // ----- source and its columns

  async function loadColumns() {
    const { connection, source } = picker.value();
    const mine = ++columnsLoad;
    columnsNote.hidden = true;
    if (!source) {
      columns = [];
      form.setColumns(columns);
      return;
    }
    try {
      const answer = await post(`${API}/columns`, { connection, source });
      if (mine !== columnsLoad) return;
      columns = answer.columns;
    } catch (error) {
      if (mine !== columnsLoad) return;
      columns = [];
      columnsNote.textContent = `Could not read the columns of the source: ${error.message}`;
      columnsNote.hidden = false;
    }
    form.setColumns(columns);
  }

  function sourceChanged({ connection, source }) {
    save("charts.connection", connection);
    setDirty(true);
    loadColumns();
  }

  /** The connection and spec on screen; throws when no source is picked. */
  function current() {
    const { connection, source } = picker.value();
    if (!connection) throw new Error("Pick a connection first.");
    if (!source) throw new Error("Pick a table or a saved query first.");
    return { connection, spec: specOf(form.draft(), source, columns) };
  }

  // ----- running

  async function run(force = false) {
    let body;
    try {
      body = { ...current(), force };
    } catch (error) {
      fail(error, "Not ready to run");
      return;
    }
    running?.abort();
    const controller = new AbortController();
    running = controller;
    clearError();
    setStatus("running", force ? "Refreshing…" : "Running…");
    ui.cached.hidden = true;
    ui.elapsed.textContent = "";
    ui.cost.textContent = "";
    ui.output.setAttribute("aria-busy", "true");
    ui.output.dataset.state = "loading";
    if (!ui.output.dataset.kind)
      view.clear(h("div", { class: "running" }, h("span", { class: "spinner" }), "Running…"));
    let data;
    try {
      data = await post(`${API}/explore`, body, { signal: controller.signal });
    } catch (error) {
      if (error.name === "AbortError" || running !== controller) return;
      running = null;
      ui.output.removeAttribute("aria-busy");
      ui.output.dataset.state = "error";
      setStatus("failed", error.status === 504 ? "Timed out" : "Failed");
      fail(error);
      return;
    }
    if (running !== controller) return;
    running = null;
    ui.output.removeAttribute("aria-busy");
    setStatus("succeeded", "Done");
    ui.elapsed.textContent = duration(data.elapsed_ms);
    ui.elapsed.title = `Ran at ${fullTime(data.ran_at)}`;
    ui.cached.hidden = !data.cached;
    ui.cached.title = data.cached ? `From the cache: ran at ${fullTime(data.ran_at)}` : "";
    ui.cost.textContent = chartCost(data);
    ui.cost.title = costDetail(data);
    ui.summary.textContent =
      `${count(data.row_count)} row${data.row_count === 1 ? "" : "s"}` +
      (data.truncated ? ` (cut at the limit of ${count(body.spec.limit)})` : "");
    try {
      await view.draw(data, { type: body.spec.type, spec: body.spec });
      ui.output.dataset.state = "ready";
    } catch (error) {
      ui.output.dataset.state = "error";
      fail(error, "Could not draw the chart");
    }
  }

  // ----- SQL

  async function showSql() {
    let body;
    try {
      body = current();
    } catch (error) {
      fail(error, "Not ready");
      return;
    }
    const pre = h("pre", { class: "sql-view", "data-testid": "chart-sql" }, "Loading…");
    const note = h("p", { class: "muted dialog-note", "aria-live": "polite" });
    let sql = null;
    const { fail: dialogFail } = openDialog({
      title: "SQL of the chart",
      wide: true,
      testid: "chart-sql-dialog",
      body: [note, pre],
      cancel: "Close",
      actions: [
        { label: "Open in SQL Lab", value: "sqllab", primary: true, testid: "chart-sql-open" },
        { label: "Copy", value: "copy", testid: "chart-sql-copy" },
      ],
      onSubmit: async (values, how) => {
        if (sql === null) return false;
        if (how === "sqllab") {
          const title = chart ? chart.name : ui.name.textContent || "Chart SQL";
          sessionStorage.setItem(
            SQLLAB_OPEN_KEY,
            JSON.stringify({ connection_id: body.connection, sql, title }),
          );
          if (!leaveTo("/sqllab")) sessionStorage.removeItem(SQLLAB_OPEN_KEY);
          return false;
        }
        await navigator.clipboard.writeText(sql);
        note.textContent = "Copied.";
        return false;
      },
    });
    try {
      const answer = await post(`${API}/sql`, body);
      sql = answer.sql;
      pre.textContent = answer.sql;
      note.textContent = `Dialect: ${answer.dialect}`;
    } catch (error) {
      pre.textContent = "";
      dialogFail(error.message);
    }
  }

  // ----- saving

  function openSave() {
    if (ui.save.disabled) return;
    let body;
    try {
      body = current();
    } catch (error) {
      fail(error, "Not ready to save");
      return;
    }
    const name = h("input", {
      name: "name",
      required: true,
      maxlength: "200",
      value: chart?.name || "",
      autocomplete: "off",
      "data-testid": "chart-save-name",
    });
    const ttl = h("input", {
      name: "ttl",
      type: "number",
      min: "0",
      step: "1",
      value: chart?.cache_ttl_seconds ?? "",
      placeholder: "Default",
      "data-testid": "chart-save-cache-ttl",
    });
    const showSqlBox = h("input", {
      type: "checkbox",
      name: "show_sql",
      checked: Boolean(chart?.show_sql_to_viewers),
      "aria-describedby": "chart-save-show-sql-help",
      "data-testid": "chart-save-show-sql",
    });
    const drillBox = h("input", {
      type: "checkbox",
      name: "viewers_may_drill",
      checked: Boolean(chart?.viewers_may_drill),
      "aria-describedby": "chart-save-drill-help",
      "data-testid": "chart-save-viewers-drill",
    });
    const actions = chart
      ? [
          { label: "Save", value: "update", primary: true, testid: "chart-save-submit" },
          { label: "Save as new chart", value: "new", testid: "chart-save-as-new" },
        ]
      : [{ label: "Save", value: "new", primary: true, testid: "chart-save-submit" }];
    openDialog({
      title: chart ? "Save chart" : "Save the new chart",
      testid: "chart-save-dialog",
      body: [
        field("Name", name),
        field("Cache results for (seconds)", ttl, "Empty: the server's default. 0: never cache."),
        h(
          "div",
          { class: "field checkbox" },
          h("label", {}, showSqlBox, " Show the SQL to viewers"),
          h(
            "small",
            { class: "help", id: "chart-save-show-sql-help" },
            "Others who see this chart on a shared dashboard may read its SQL, a saved query it is built on included. Off: only you.",
          ),
        ),
        h(
          "div",
          { class: "field checkbox" },
          h("label", {}, drillBox, " Let viewers see the rows behind it"),
          h(
            "small",
            { class: "help", id: "chart-save-drill-help" },
            "Everyone who sees this chart on a shared dashboard may open the rows behind a mark: every column of its source, not only what the chart shows. Off: only you, those who may run SQL, and viewers on a connection that queries as each user.",
          ),
        ),
      ],
      actions,
      onSubmit: async (values, how) => {
        const text = values.name.trim();
        if (!text) throw new Error("Give the chart a name.");
        const payload = {
          name: text,
          ...body,
          cache_ttl_seconds: values.ttl === "" ? null : Number(values.ttl),
          show_sql_to_viewers: showSqlBox.checked,
          viewers_may_drill: drillBox.checked,
        };
        const saved =
          how === "update" && chart ? await patch(`${API}/${chart.id}`, payload) : await post(API, payload);
        showChart(saved);
        history.replaceState(null, "", `/charts/${saved.id}`);
      },
    });
    name.select();
  }

  // ----- wiring

  ui.run.addEventListener("click", () => run(false));
  ui.force.addEventListener("click", () => run(true));
  ui.sql.addEventListener("click", showSql);
  ui.save.addEventListener("click", openSave);
  ui.schedule.addEventListener("click", () =>
    openScheduleDialog({
      target: { kind: "chart", id: chart.id, name: chart.name },
      connections: [chart.connection],
    }),
  );
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.defaultPrevented) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "Enter") {
      event.preventDefault();
      run(false);
    } else if (event.key.toLowerCase() === "s" && !event.altKey) {
      event.preventDefault();
      openSave();
    }
  });

  // ----- start

  ui.save.disabled = true; // until the chart (or the empty form) is there to save
  try {
    const list = await picker.load(load("charts.connection"));
    if (list.length === 0) {
      view.clear(
        h("p", { class: "empty" }, "No connections yet. ", h("a", { href: "/connections" }, "Add one"), "."),
      );
    }
  } catch (error) {
    fail(error, "Could not list the connections");
    return;
  }
  if (page.chart_id === null || page.chart_id === undefined) {
    showChart(null);
    ui.save.disabled = false;
    // SQL Lab's "Chart this result" links here with `?saved_query=<id>`: that query is the source.
    const savedQuery = new URLSearchParams(location.search).get("saved_query");
    if (savedQuery) {
      try {
        await picker.setSavedQuery(savedQuery);
        await loadColumns();
      } catch (error) {
        fail(error, error.status === 404 ? "No such saved query" : "Could not open the saved query");
      }
    }
    return;
  }
  let saved;
  try {
    saved = await get(`${API}/${page.chart_id}`);
  } catch (error) {
    fail(error, error.status === 404 ? "No such chart" : failureTitle(error));
    for (const button of [ui.run, ui.force, ui.sql, ui.save]) button.disabled = true;
    view.clear();
    return;
  }
  picker.set(saved.connection, saved.spec.source);
  form.setDraft(draftOf(saved.spec));
  showChart(saved);
  ui.save.disabled = false;
  await loadColumns();
  run(false);
}
