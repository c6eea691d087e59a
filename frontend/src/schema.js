// The schema browser: schemas (BigQuery datasets) → tables and views → columns → nested fields.
// Built for big catalogs: only open nodes are in the page, a schema shows its tables 200 at a
// time, columns load when a table opens, and the search asks the server about columns.
// Clicking a name inserts it; a table's menu previews, exports or queries it.
import { authorizationPrompt, needsAuthorization } from "./authorize.js";
import { h, replace } from "./dom.js";
import { bytes, clock, compact, count, duration, plural } from "./format.js";
import { closeMenu, openMenu } from "./menu.js";
import { columnPath, defaultSchemaFor, projectFor, readsDirectly, tableName } from "./dialects.js";

/** Tables shown at once per schema (and in search results); more on demand. */
export const CHUNK = 200;
/** Above this many tables, schemas start collapsed. */
const COLLAPSE_ABOVE = 200;
const SEARCH_DELAY_MS = 200;
const SEARCH_LIMIT = 200;

const KIND_BADGES = {
  table: ["T", "Table"],
  view: ["V", "View"],
  "materialized view": ["MV", "Materialized view"],
  "external table": ["X", "External table"],
  snapshot: ["S", "Table snapshot"],
};

const kindClass = (kind) => `kind-${kind.replace(/\s+/g, "-")}`;
const tableKey = (schema, name) => `${schema}\0${name}`;

/** A column's type, short: "struct", "string[]" for a REPEATED string; the full type on hover. */
export function shortType(column) {
  const repeated = column.mode === "REPEATED";
  let type = column.type;
  if (repeated && /^ARRAY</i.test(type)) type = type.slice(6, -1);
  if (column.fields?.length) type = /^RECORD/i.test(type) ? "record" : "struct";
  return `${type.toLowerCase()}${repeated ? "[]" : ""}`;
}

/** A row of the tree, indented to `depth`. */
function row(depth, className, ...children) {
  const node = h("div", { class: `row ${className}` }, children);
  node.style.setProperty("--depth", String(depth));
  return node;
}

function caret(open, label, onclick) {
  return h(
    "button",
    { type: "button", class: "caret", "aria-expanded": String(open), "aria-label": label, onclick },
    open ? "▾" : "▸",
  );
}

const spacer = () => h("span", { class: "caret-space", "aria-hidden": "true" });

/**
 * Redraw a node (replace its children) keeping the keyboard focus on the same button of its
 * row: a caret toggled with the keyboard stays focused.
 */
function redraw(li, ...children) {
  const row = li.firstElementChild;
  const buttons = row ? [...row.querySelectorAll("button")] : [];
  const at = buttons.indexOf(document.activeElement);
  replace(li, ...children);
  if (at >= 0) li.firstElementChild?.querySelectorAll("button")[at]?.focus();
}

/**
 * The browser over `tree`, with the search box `filter`, the `info` line and the `refresh`
 * button. Callbacks: onInsert(text), onPreview(table), onExport(table, format), onQuery(table);
 * a table is its catalog summary with `schema`.
 */
export function createSchemaBrowser({ tree, filter, info, refresh }, callbacks) {
  const { onInsert, onPreview, onExport, onQuery, onLoaded = () => {}, busy = () => false } = callbacks;
  let catalog = null; // Catalog (catalog.js)
  let connection = null;
  let loads = 0;
  let openSchemas = new Set();
  let openTables = new Set();
  let openFound = new Set(); // tables opened among search results (each search starts closed)
  let openFields = new Set();
  let shown = new Map(); // schema -> tables shown
  let search = { needle: "", matches: null, pending: false, error: null, limit: CHUNK };
  let searchTimer = null;
  let searchAbort = null;

  const dialect = () => connection?.dialect;
  const sqlName = (table) =>
    tableName(table.schema, table.name, dialect(), defaultSchemaFor(connection), projectFor(connection));

  // ----- info line and refresh

  function showInfo(extra = null) {
    const data = catalog?.data;
    if (!data) return replace(info, extra);
    const broken = data.schemas.filter((s) => s.error).length;
    const what = dialect() === "bigquery" ? "dataset" : "schema";
    replace(
      info,
      h(
        "span",
        { title: `Loaded by the server at ${new Date(data.loaded_at).toLocaleString()}` },
        `Loaded ${plural(data.table_count, "table")} in ${duration(data.load_ms)}, at ${clock(data.loaded_at)}`,
      ),
      broken > 0 &&
        h(
          "span",
          { class: "warning-text" },
          ` · ${plural(broken, `${what} unreadable`, `${what}s unreadable`)}`,
        ),
      extra && [" · ", extra],
    );
  }

  // ----- the tree

  function tableMenu(anchor, table, { reveal = false } = {}) {
    const direct = readsDirectly(table.kind, dialect());
    const free = dialect() === "bigquery" ? "read directly, no query cost" : null;
    const running = busy(); // one run at a time: reads wait for the current one
    const waiting = running ? "a query is running" : null;
    openMenu(
      anchor,
      [
        direct && {
          label: "Preview",
          hint: waiting || free || "first 100 rows",
          disabled: running,
          testid: "menu-preview",
          onSelect: () => onPreview(table),
        },
        {
          label: direct ? "Query" : "Query (SELECT … LIMIT 100)",
          hint: direct ? "SELECT … LIMIT 100 in the editor" : "a view is read by a query",
          testid: "menu-query",
          onSelect: () => onQuery(table),
        },
        "-",
        direct && {
          label: "Export as CSV",
          hint: waiting || "the whole table",
          disabled: running,
          testid: "menu-export-csv",
          onSelect: () => onExport(table, "csv"),
        },
        direct && {
          label: "Export as Parquet",
          hint: waiting || "the whole table",
          disabled: running,
          testid: "menu-export-parquet",
          onSelect: () => onExport(table, "parquet"),
        },
        {
          label: "Insert name",
          hint: sqlName(table),
          onSelect: () => onInsert(sqlName(table)),
        },
        reveal && { label: "Show in tree", onSelect: () => revealTable(table) },
      ],
      { label: `Actions for ${table.name}` },
    );
  }

  function tableRow(table, open, onToggle, depth, options = {}) {
    const [letter, kindLabel] = KIND_BADGES[table.kind] || ["?", table.kind];
    const stats = [];
    if (table.row_count !== null && table.row_count !== undefined) stats.push(compact(table.row_count));
    if (table.size_bytes !== null && table.size_bytes !== undefined) stats.push(bytes(table.size_bytes));
    const statsTitle = [
      table.row_count != null && plural(table.row_count, "row"),
      table.size_bytes != null && bytes(table.size_bytes),
      plural(table.column_count, "column"),
    ]
      .filter(Boolean)
      .join(" · ");
    const menuButton = h(
      "button",
      {
        type: "button",
        class: "more-actions",
        title: "Preview, export, query…",
        "aria-label": `Actions for ${table.name}`,
        "aria-haspopup": "menu",
        "aria-expanded": "false",
        onclick: (event) => tableMenu(event.currentTarget, table, options),
      },
      "⋯",
    );
    const node = row(
      depth,
      "table-row",
      caret(open, `Columns of ${table.name}`, onToggle),
      h("span", { class: "kind-badge", title: kindLabel }, letter),
      h(
        "button",
        {
          type: "button",
          class: "name",
          title: [table.description, `Insert ${sqlName(table)}`].filter(Boolean).join("\n\n"),
          onclick: () => onInsert(sqlName(table)),
        },
        table.name,
      ),
      table.partitioned_by &&
        h(
          "span",
          {
            class: "tag tag-partitioned",
            title: `Partitioned by ${table.partitioned_by}`,
            "data-testid": "partitioned",
          },
          "P",
        ),
      table.clustered_by?.length > 0 &&
        h(
          "span",
          {
            class: "tag tag-clustered",
            title: `Clustered by ${table.clustered_by.join(", ")}`,
            "data-testid": "clustered",
          },
          "C",
        ),
      h("span", { class: "stats", title: statsTitle }, stats.length ? stats.join(" · ") : table.column_count),
      menuButton,
    );
    node.addEventListener("contextmenu", (event) => {
      event.preventDefault();
      tableMenu(menuButton, table, options);
    });
    return node;
  }

  function columnNode(table, column, parents, depth) {
    const parts = [...parents, column.name];
    const key = `${tableKey(table.schema, table.name)}\0${parts.join(".")}`;
    const nested = column.fields?.length > 0;
    const li = h("li", { class: "column", dataset: { path: parts.join(".") } });
    const tags = [
      column.partitioning && h("span", { class: "tag tag-partitioned", title: "Partitioning column" }, "P"),
      column.clustering &&
        h("span", { class: "tag tag-clustered", title: `Clustering column ${column.clustering}` }, "C"),
    ];
    const draw = () => {
      const open = nested && openFields.has(key);
      const toggle = () => {
        if (openFields.has(key)) openFields.delete(key);
        else openFields.add(key);
        draw();
      };
      const title = [
        column.description,
        `${column.type}${column.nullable === false ? " NOT NULL" : ""}${column.mode === "REPEATED" ? " (REPEATED)" : ""}`,
      ]
        .filter(Boolean)
        .join("\n\n");
      redraw(
        li,
        row(
          depth,
          "column-row",
          nested ? caret(open, `Fields of ${parts.join(".")}`, toggle) : spacer(),
          h(
            "button",
            {
              type: "button",
              class: "name",
              title: `Insert ${columnPath(parts, dialect())}`,
              onclick: () => onInsert(columnPath(parts, dialect())),
            },
            column.name,
          ),
          tags,
          h("span", { class: "type", title, dataset: { mode: column.mode || null } }, shortType(column)),
        ),
        open &&
          h(
            "ul",
            { class: "fields" },
            column.fields.map((f) => columnNode(table, f, parts, depth + 1)),
          ),
      );
    };
    draw();
    return li;
  }

  /** A table's columns: from the cache, else "Loading…" until they arrive. */
  function columnList(table, depth, redraw) {
    const known = catalog.knownColumns(table.schema, table.name);
    if (known) {
      if (known.length === 0)
        return h("ul", { class: "columns" }, h("li", {}, row(depth, "note", "No columns.")));
      return h(
        "ul",
        { class: "columns" },
        known.map((c) => columnNode(table, c, [], depth)),
      );
    }
    const mine = catalog;
    catalog.columnsOf(table.schema, table.name).then(
      () => mine === catalog && redraw(),
      (error) => mine === catalog && redraw(error),
    );
    return h("ul", { class: "columns" }, h("li", {}, row(depth, "note loading", "Loading columns…")));
  }

  function tableNode(table, depth, options = {}) {
    const key = tableKey(table.schema, table.name);
    const opened = options.matches ? openFound : openTables;
    const li = h("li", {
      class: `table ${kindClass(table.kind)}`,
      dataset: { table: `${table.schema}.${table.name}` },
    });
    const draw = (error = null) => {
      const open = opened.has(key);
      const toggle = () => {
        if (opened.has(key)) opened.delete(key);
        else opened.add(key);
        draw();
      };
      let below = null;
      if (open && needsAuthorization(error)) {
        below = h(
          "ul",
          { class: "columns" },
          h("li", {}, authorizationPrompt(error, { connection: connection?.name, compact: true })),
        );
      } else if (open && error) {
        below = h(
          "ul",
          { class: "columns" },
          h(
            "li",
            {},
            row(
              depth + 1,
              "note error-message",
              `Could not load the columns: ${error.message} `,
              h("button", { type: "button", class: "link", onclick: () => draw() }, "Retry"),
            ),
          ),
        );
      } else if (open) {
        below = columnList(table, depth + 1, draw);
      } else if (options.matches?.length) {
        below = h(
          "ul",
          { class: "columns matches" },
          options.matches.map((m) => matchedColumn(m, depth + 1)),
        );
      }
      redraw(li, tableRow(table, open, toggle, depth, options), below);
    };
    draw();
    return li;
  }

  /** A column found by the search, under its table (nested fields by their dotted path). */
  function matchedColumn(match, depth) {
    const parts = match.column.split(".");
    return h(
      "li",
      { class: "column match", dataset: { path: match.column } },
      row(
        depth,
        "column-row",
        spacer(),
        h(
          "button",
          {
            type: "button",
            class: "name",
            title: `Insert ${columnPath(parts, dialect())}`,
            onclick: () => onInsert(columnPath(parts, dialect())),
          },
          match.column,
        ),
        h("span", { class: "type", title: match.type || "" }, (match.type || "").toLowerCase()),
      ),
    );
  }

  /** "Show 200 more (of 10,000)": extends a list in place. */
  function moreButton(depth, left, onMore) {
    return h(
      "li",
      { class: "more" },
      row(
        depth,
        "more-row",
        h(
          "button",
          { type: "button", class: "link", "data-testid": "show-more", onclick: onMore },
          `Show ${count(Math.min(left, CHUNK))} more`,
          h("span", { class: "muted" }, ` (${count(left)} not shown)`),
        ),
      ),
    );
  }

  function schemaNode(schema) {
    const li = h("li", { class: "schema", dataset: { schema: schema.name } });
    const what = dialect() === "bigquery" ? "Dataset" : "Schema";
    const draw = () => {
      const open = openSchemas.has(schema.name);
      const toggle = () => {
        if (openSchemas.has(schema.name)) openSchemas.delete(schema.name);
        else openSchemas.add(schema.name);
        draw();
      };
      const head = row(
        0,
        `schema-row${schema.error ? " unreadable" : ""}`,
        caret(open, `Tables of ${schema.name}`, toggle),
        schema.error
          ? h(
              "span",
              { class: "schema-icon warning-text", title: schema.error, "aria-label": "unreadable" },
              "⚠",
            )
          : h("span", { class: "schema-icon", "aria-hidden": "true" }, "▤"),
        h(
          "button",
          {
            type: "button",
            class: "name",
            title: schema.error
              ? `${what} ${schema.name} could not be read: ${schema.error}`
              : `${what} ${schema.name}`,
            onclick: toggle,
          },
          schema.name,
        ),
        h(
          "span",
          { class: "stats", title: schema.error ? "" : plural(schema.tables.length, "table") },
          schema.error ? "unreadable" : count(schema.tables.length),
        ),
      );
      if (!open) return redraw(li, head);
      if (schema.error) {
        return redraw(
          li,
          head,
          h(
            "ul",
            {},
            h("li", {}, row(1, "note schema-error", h("span", { class: "error-message" }, schema.error))),
          ),
        );
      }
      if (schema.tables.length === 0) {
        return redraw(li, head, h("ul", {}, h("li", {}, row(1, "note", "No tables or views."))));
      }
      const limit = shown.get(schema.name) || CHUNK;
      const list = h(
        "ul",
        { class: "tables" },
        schema.tables.slice(0, limit).map((t) => tableNode({ ...t, schema: schema.name }, 1)),
      );
      if (schema.tables.length > limit) {
        list.append(
          moreButton(1, schema.tables.length - limit, () => {
            shown.set(schema.name, limit + CHUNK);
            draw();
            li.querySelectorAll("li.table")[limit]?.querySelector("button.name")?.focus();
          }),
        );
      }
      redraw(li, head, list);
    };
    draw();
    return li;
  }

  function renderTree() {
    const data = catalog.data;
    if (data.schemas.length === 0) {
      replace(tree, h("p", { class: "empty" }, "No tables or views."));
      return;
    }
    replace(tree, h("ul", { class: "tree" }, data.schemas.map(schemaNode)));
  }

  // ----- search

  function rankOf(name, needle) {
    const lower = name.toLowerCase();
    return lower === needle ? 0 : lower.startsWith(needle) ? 1 : 2;
  }

  function renderSearch() {
    const needle = search.needle.toLowerCase();
    const found = new Map(); // key -> {table, rank, matches}
    for (const table of catalog.tables) {
      if (table.name.toLowerCase().includes(needle)) {
        found.set(tableKey(table.schema, table.name), {
          table,
          rank: rankOf(table.name, needle),
          matches: [],
        });
      }
    }
    for (const match of search.matches || []) {
      const key = tableKey(match.schema, match.table);
      const table = catalog.table(match.schema, match.table);
      if (!table) continue;
      if (!found.has(key)) found.set(key, { table, rank: 3, matches: [] });
      if (match.kind === "column" && match.column) found.get(key).matches.push(match);
    }
    const order = new Map(catalog.data.schemas.map((s, i) => [s.name, i]));
    const hits = [...found.values()].sort(
      (a, b) =>
        order.get(a.table.schema) - order.get(b.table.schema) ||
        a.rank - b.rank ||
        a.table.name.localeCompare(b.table.name),
    );
    const status = search.error
      ? h("p", { class: "search-status error-message" }, `Column search failed: ${search.error}`)
      : search.pending
        ? h("p", { class: "search-status muted" }, "Searching columns…")
        : search.matches?.length >= SEARCH_LIMIT
          ? h("p", { class: "search-status muted" }, `Showing the best ${SEARCH_LIMIT} column matches.`)
          : null;
    if (hits.length === 0) {
      replace(
        tree,
        search.pending ? null : h("p", { class: "empty" }, `Nothing matches “${search.needle}”.`),
        status,
      );
      return;
    }
    const visible = hits.slice(0, search.limit);
    const bySchema = new Map();
    for (const hit of visible) {
      if (!bySchema.has(hit.table.schema)) bySchema.set(hit.table.schema, []);
      bySchema.get(hit.table.schema).push(hit);
    }
    const list = h(
      "ul",
      { class: "tree results" },
      [...bySchema].map(([schema, list]) =>
        h(
          "li",
          { class: "schema", dataset: { schema } },
          row(0, "schema-heading", h("span", { class: "schema-icon", "aria-hidden": "true" }, "▤"), schema),
          h(
            "ul",
            { class: "tables" },
            list.map((hit) => tableNode(hit.table, 1, { matches: hit.matches, reveal: true })),
          ),
        ),
      ),
    );
    if (hits.length > visible.length) {
      list.append(
        moreButton(0, hits.length - visible.length, () => {
          search.limit += CHUNK;
          renderSearch();
          tree.querySelectorAll("li.table")[visible.length]?.querySelector("button.name")?.focus();
        }),
      );
    }
    replace(tree, status, list);
  }

  async function runSearch(needle) {
    searchAbort?.abort();
    const controller = new AbortController();
    searchAbort = controller;
    try {
      const matches = await catalog.search(needle, { limit: SEARCH_LIMIT, signal: controller.signal });
      if (searchAbort !== controller) return;
      search = { ...search, matches, pending: false, error: null };
    } catch (error) {
      if (error.name === "AbortError" || searchAbort !== controller) return;
      search = { ...search, pending: false, error: error.message };
    }
    renderSearch();
  }

  function onFilter() {
    if (!catalog?.data) return;
    const needle = filter.value.trim();
    clearTimeout(searchTimer);
    if (!needle) {
      searchAbort?.abort();
      search = { needle: "", matches: null, pending: false, error: null, limit: CHUNK };
      renderTree();
      return;
    }
    search = { needle, matches: null, pending: true, error: null, limit: CHUNK };
    openFound = new Set();
    renderSearch(); // table names at once, columns when the server answers
    searchTimer = setTimeout(() => runSearch(needle), SEARCH_DELAY_MS);
  }

  function render() {
    if (filter.value.trim()) onFilter();
    else renderTree();
  }

  /** Leave the search and show a table in the tree, open and scrolled to. */
  function revealTable(table) {
    filter.value = "";
    search = { needle: "", matches: null, pending: false, error: null, limit: CHUNK };
    openSchemas.add(table.schema);
    openTables.add(tableKey(table.schema, table.name));
    const schema = catalog.data.schemas.find((s) => s.name === table.schema);
    const at = schema ? schema.tables.findIndex((t) => t.name === table.name) : -1;
    if (at >= (shown.get(table.schema) || CHUNK))
      shown.set(table.schema, (Math.floor(at / CHUNK) + 1) * CHUNK);
    renderTree();
    const node = [...tree.querySelectorAll("li.table")].find(
      (li) => li.dataset.table === `${table.schema}.${table.name}`,
    );
    if (node) {
      node.scrollIntoView({ block: "center" });
      node.classList.add("flash");
      setTimeout(() => node.classList.remove("flash"), 1200);
      node.querySelector("button.name")?.focus();
    }
  }

  filter.addEventListener("input", onFilter);
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && filter.value) {
      filter.value = "";
      onFilter();
    }
  });
  tree.addEventListener("scroll", closeMenu, { passive: true });

  /** Schemas open at first: all of a small catalog; of a big one, only a lone schema. */
  function initiallyOpen(data) {
    if (data.table_count <= COLLAPSE_ABOVE) return new Set(data.schemas.map((s) => s.name));
    return new Set(data.schemas.length === 1 ? [data.schemas[0].name] : []);
  }

  async function fetchCatalog(refreshing) {
    const token = ++loads;
    const mine = catalog;
    refresh.disabled = true;
    refresh.classList.toggle("spinning", true);
    if (refreshing) showInfo("refreshing…");
    try {
      await mine.load({ refresh: refreshing });
      if (token !== loads) return;
      if (!refreshing) openSchemas = initiallyOpen(mine.data);
      showInfo();
      render();
      onLoaded(mine);
    } catch (error) {
      if (token !== loads) return;
      if (needsAuthorization(error)) {
        replace(info);
        replace(tree, authorizationPrompt(error, { connection: connection?.name, compact: true }));
      } else if (refreshing && mine.data) {
        showInfo(h("span", { class: "error-message" }, `refresh failed: ${error.message}`));
      } else {
        replace(info);
        replace(tree, h("p", { class: "error-message" }, `Could not list tables: ${error.message}`));
      }
    } finally {
      if (token === loads) {
        refresh.disabled = false;
        refresh.classList.toggle("spinning", false);
      }
    }
  }

  refresh.addEventListener("click", () => catalog && fetchCatalog(true));

  return {
    /** Show a connection's catalog (a Catalog of catalog.js); resolves when it is shown. */
    async load(nextCatalog, nextConnection) {
      catalog = nextCatalog;
      connection = nextConnection;
      openTables = new Set();
      openFields = new Set();
      shown = new Map();
      if (catalog.data) {
        loads += 1; // an older connection's load no longer shows
        refresh.disabled = false;
        refresh.classList.remove("spinning");
        openSchemas = initiallyOpen(catalog.data);
        showInfo();
        render();
        return;
      }
      replace(info);
      replace(tree, h("p", { class: "empty" }, "Loading tables…"));
      await fetchCatalog(false);
    },

    /** Reload the catalog on the server (the refresh button). */
    refresh: () => catalog && fetchCatalog(true),

    /** Show a message instead of a catalog (no connections...). */
    message(node) {
      catalog = null;
      loads += 1;
      replace(info);
      replace(tree, node);
    },
  };
}
