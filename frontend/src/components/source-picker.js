// Where a chart's data comes from: a connection, then a table of its catalog (found with a
// search box) or one of the saved queries of that connection.
import { get } from "../lib/api.js";
import { Catalog } from "../lib/catalog.js";
import { h, replace } from "../lib/dom.js";

/** Tables listed at most in the picker; the search box narrows longer catalogs. */
const MAX_TABLES = 500;

let ids = 0;
const tableValue = (schema, table) => `${schema}.${table}`;

/**
 * The picker, drawn into `root`. onChange({connection, source}) runs when the user picks a
 * connection or a source (`source` is null until one is picked). Returns {load(), set(), value()}.
 */
export function createSourcePicker(root, { onChange }) {
  ids += 1;
  const id = (name) => `source-${name}-${ids}`;
  let connections = [];
  let savedQueries = null; // every saved query you may read, fetched once
  let catalog = null;
  let state = { connection: "", source: null };
  const catalogs = new Map();

  const connection = h("select", { id: id("connection"), "data-testid": "chart-connection" });
  const kindTable = h("input", {
    type: "radio",
    name: `source-kind-${ids}`,
    value: "table",
    checked: true,
    "data-testid": "source-kind-table",
  });
  const kindSaved = h("input", {
    type: "radio",
    name: `source-kind-${ids}`,
    value: "saved_query",
    "data-testid": "source-kind-saved-query",
  });
  const search = h("input", {
    type: "search",
    id: id("search"),
    placeholder: "Search tables",
    "aria-label": "Search tables",
    autocomplete: "off",
    "data-testid": "source-table-search",
  });
  const table = h("select", { id: id("table"), "data-testid": "source-table" });
  const tableNote = h("small", { class: "help", "aria-live": "polite", "data-testid": "source-table-note" });
  const saved = h("select", { id: id("saved"), "data-testid": "source-saved-query" });
  const savedNote = h("small", { class: "help", "aria-live": "polite" });
  const tablePart = h(
    "div",
    { class: "field" },
    h("label", { for: table.id }, "Table"),
    search,
    table,
    tableNote,
  );
  const savedPart = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: saved.id }, "Saved query"),
    saved,
    savedNote,
  );

  replace(
    root,
    h("div", { class: "field" }, h("label", { for: connection.id }, "Connection"), connection),
    h(
      "fieldset",
      { class: "segmented" },
      h("legend", {}, "Source"),
      h("label", {}, kindTable, "Table"),
      h("label", {}, kindSaved, "Saved query"),
    ),
    tablePart,
    savedPart,
  );

  const kind = () => (kindSaved.checked ? "saved_query" : "table");

  function emit() {
    onChange({ connection: state.connection, source: state.source });
  }

  // ----- tables

  function drawTables() {
    if (!catalog?.data) return;
    const needle = search.value.trim().toLowerCase();
    const matches = catalog.tables.filter(
      (t) => !needle || tableValue(t.schema, t.name).toLowerCase().includes(needle),
    );
    const shown = matches.slice(0, MAX_TABLES);
    const current = state.source?.kind === "table" ? state.source : null;
    const currentValue = current && tableValue(current.schema, current.table);
    const groups = new Map();
    for (const t of shown) {
      if (!groups.has(t.schema)) groups.set(t.schema, []);
      groups.get(t.schema).push(t);
    }
    const missing = current && !shown.some((t) => tableValue(t.schema, t.name) === currentValue);
    replace(
      table,
      h("option", { value: "", disabled: true, selected: !current }, "Pick a table"),
      missing && h("option", { value: currentValue, selected: true }, currentValue),
      [...groups].map(([schema, tables]) =>
        h(
          "optgroup",
          { label: schema },
          tables.map((t) =>
            h(
              "option",
              {
                value: tableValue(t.schema, t.name),
                selected: tableValue(t.schema, t.name) === currentValue,
              },
              tableValue(t.schema, t.name),
            ),
          ),
        ),
      ),
    );
    tableNote.textContent =
      matches.length > shown.length
        ? `Showing ${shown.length} of ${matches.length} tables: search to narrow.`
        : needle
          ? `${matches.length} table${matches.length === 1 ? "" : "s"} match.`
          : "";
  }

  async function loadCatalog() {
    const conn = connections.find((c) => c.name === state.connection);
    catalog = null;
    replace(table, h("option", { value: "" }, "Loading tables…"));
    tableNote.textContent = "";
    if (!conn) return;
    if (!catalogs.has(conn.name)) catalogs.set(conn.name, new Catalog(conn));
    const mine = catalogs.get(conn.name);
    try {
      await mine.load();
    } catch (error) {
      if (state.connection !== conn.name) return;
      replace(table, h("option", { value: "" }, "No tables"));
      tableNote.textContent = `Could not list the tables: ${error.message}`;
      tableNote.classList.add("error-message");
      return;
    }
    if (state.connection !== conn.name) return;
    tableNote.classList.remove("error-message");
    catalog = mine;
    drawTables();
  }

  // ----- saved queries

  async function drawSaved() {
    if (savedQueries === null) {
      replace(saved, h("option", { value: "" }, "Loading…"));
      try {
        savedQueries = await get("/api/v1/saved-queries");
      } catch (error) {
        replace(saved, h("option", { value: "" }, "No saved queries"));
        savedNote.textContent = `Could not list saved queries: ${error.message}`;
        return;
      }
    }
    const mine = savedQueries.filter((q) => q.connection === state.connection);
    const current = state.source?.kind === "saved_query" ? state.source.saved_query_id : null;
    replace(
      saved,
      h("option", { value: "", disabled: true, selected: current === null }, "Pick a saved query"),
      mine.map((q) =>
        h(
          "option",
          { value: String(q.id), selected: q.id === current },
          q.mine ? q.name : `${q.name} (${q.owner})`,
        ),
      ),
    );
    savedNote.textContent = mine.length ? "" : "No saved queries on this connection: save one in SQL Lab.";
  }

  function showKind() {
    tablePart.hidden = kind() !== "table";
    savedPart.hidden = kind() !== "saved_query";
    if (kind() === "saved_query") drawSaved();
  }

  // ----- events

  connection.addEventListener("change", () => {
    state = { connection: connection.value, source: null };
    loadCatalog();
    if (kind() === "saved_query") drawSaved();
    emit();
  });
  for (const radio of [kindTable, kindSaved]) {
    radio.addEventListener("change", () => {
      showKind();
      state.source = null;
      if (kind() === "table") drawTables();
      emit();
    });
  }
  search.addEventListener("input", drawTables);
  table.addEventListener("change", () => {
    const picked = catalog?.tables.find((t) => tableValue(t.schema, t.name) === table.value);
    if (!picked) return;
    state.source = { kind: "table", schema: picked.schema, table: picked.name };
    emit();
  });
  saved.addEventListener("change", () => {
    state.source = saved.value ? { kind: "saved_query", saved_query_id: Number(saved.value) } : null;
    emit();
  });

  return {
    /** List the connections; pick `preferred` (or the first) without emitting a change. */
    async load(preferred = null) {
      connections = await get("/api/v1/connections", { built_in: true });
      replace(
        connection,
        connections.map((c) => h("option", { value: c.name }, `${c.name} (${c.kind})`)),
      );
      if (connections.length === 0) {
        connection.disabled = true;
        return [];
      }
      const name = connections.some((c) => c.name === preferred) ? preferred : connections[0].name;
      connection.value = name;
      state = { connection: name, source: null };
      loadCatalog();
      return connections;
    },
    /** Show a chart's connection and source (no change is emitted). */
    set(name, source) {
      if (!connections.some((c) => c.name === name)) {
        connection.append(h("option", { value: name }, `${name} (unavailable)`));
      }
      connection.value = name;
      const changed = state.connection !== name;
      state = { connection: name, source };
      (source?.kind === "saved_query" ? kindSaved : kindTable).checked = true;
      showKind();
      if (changed || !catalog) loadCatalog();
      else drawTables();
    },
    value: () => ({ ...state }),
    /** Start on a saved query (its id, from a link): its connection, and it as the source. */
    async setSavedQuery(id) {
      const query = await get(`/api/v1/saved-queries/${encodeURIComponent(id)}`);
      this.set(query.connection, { kind: "saved_query", saved_query_id: query.id });
      return query;
    },
  };
}
