// The schema sidebar: a connection's tables and views with their columns, collapsible and
// filterable; clicking a name inserts it into the editor.
import { get } from "./api.js";
import { h, replace } from "./dom.js";
import { defaultSchemaFor } from "./dialects.js";

const SIMPLE = /^[a-z_][a-z0-9_$]*$/;

/** An identifier as SQL: bare when simple lower case, else double-quoted. */
export function quoteIdent(name) {
  return SIMPLE.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * The sidebar in `container` with its filter box `filter`. onInsert(text) puts a name in the
 * editor. load(connection) fetches the catalog and resolves to its tables.
 */
export function createSchemaBrowser(container, filter, { onInsert }) {
  let tables = [];
  let kind = null;
  let loads = 0;
  const open = new Set();

  function qualified(table) {
    const name = quoteIdent(table.name);
    return table.schema === defaultSchemaFor(kind) ? name : `${quoteIdent(table.schema)}.${name}`;
  }

  function tableNode(table, needle) {
    const key = `${table.schema}.${table.name}`;
    const matchingColumns = needle ? table.columns.filter((c) => c.name.toLowerCase().includes(needle)) : [];
    const expanded = open.has(key) || matchingColumns.length > 0;
    const columns = needle && !table.name.toLowerCase().includes(needle) ? matchingColumns : table.columns;
    const toggle = () => {
      if (open.has(key)) open.delete(key);
      else open.add(key);
      render();
    };
    return h(
      "li",
      { class: `table kind-${table.kind}`, dataset: { table: key } },
      h(
        "div",
        { class: "row" },
        h(
          "button",
          {
            type: "button",
            class: "caret",
            "aria-expanded": String(expanded),
            "aria-label": `Columns of ${table.name}`,
            onclick: toggle,
          },
          expanded ? "▾" : "▸",
        ),
        h("span", { class: "kind-badge", title: table.kind }, table.kind === "view" ? "V" : "T"),
        h(
          "button",
          {
            type: "button",
            class: "name",
            title: `Insert ${qualified(table)}`,
            onclick: () => onInsert(qualified(table)),
          },
          table.name,
        ),
        h("span", { class: "count" }, String(table.columns.length)),
      ),
      expanded &&
        h(
          "ul",
          { class: "columns" },
          columns.map((c) =>
            h(
              "li",
              { class: "column" },
              h(
                "button",
                {
                  type: "button",
                  class: "name",
                  title: `Insert ${quoteIdent(c.name)}`,
                  onclick: () => onInsert(quoteIdent(c.name)),
                },
                c.name,
              ),
              h("span", { class: "type", title: c.description || c.type }, c.type.toLowerCase()),
            ),
          ),
        ),
    );
  }

  function render() {
    const needle = filter.value.trim().toLowerCase();
    const shown = tables.filter(
      (t) =>
        !needle ||
        t.name.toLowerCase().includes(needle) ||
        t.columns.some((c) => c.name.toLowerCase().includes(needle)),
    );
    if (tables.length === 0) {
      replace(container, h("p", { class: "empty" }, "No tables or views."));
      return;
    }
    if (shown.length === 0) {
      replace(container, h("p", { class: "empty" }, `Nothing matches “${filter.value.trim()}”.`));
      return;
    }
    const bySchema = new Map();
    for (const table of shown) {
      if (!bySchema.has(table.schema)) bySchema.set(table.schema, []);
      bySchema.get(table.schema).push(table);
    }
    replace(
      container,
      [...bySchema].map(([schema, list]) =>
        h(
          "section",
          { class: "schema" },
          h("h3", {}, schema),
          h(
            "ul",
            { class: "tables" },
            list.map((t) => tableNode(t, needle)),
          ),
        ),
      ),
    );
  }

  filter.addEventListener("input", render);

  return {
    /** Fetch and show a connection's catalog; resolves to its tables (null if superseded). */
    async load(connection, connectionKind) {
      const token = ++loads;
      kind = connectionKind;
      tables = [];
      open.clear();
      replace(container, h("p", { class: "empty" }, "Loading tables…"));
      try {
        const catalog = await get(`/api/v1/connections/${encodeURIComponent(connection)}/catalog`);
        if (token !== loads) return null;
        tables = catalog.tables;
        render();
      } catch (error) {
        if (token !== loads) return null;
        replace(container, h("p", { class: "error-message" }, `Could not list tables: ${error.message}`));
      }
      return tables;
    },
  };
}
