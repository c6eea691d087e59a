// The schema browser: schemas (BigQuery datasets) → tables and views → columns → nested fields.
// Built for big catalogs: only open nodes are in the page, a schema shows its tables 200 at a
// time, columns load when a table opens, and the search asks the server about columns. The
// tree shows as soon as the server has listed the tables; while it still loads some schemas'
// columns (BigQuery), the listing is asked again until complete, the schemas opened first.
// Clicking a table's name opens it (its columns); a name goes into the editor by dragging it
// there or by "Insert name" in its menu (a column's name opens that menu), never by a click;
// a table's menu also previews, exports or queries it. The tree is a
// render of its state (what is open, what is shown, the search) with lit-html: a toggle changes
// the state and renders again, and the focus stays on the button that was pressed.
import { html, nothing, render } from "lit-html";
import { authorizationPrompt, needsAuthorization } from "./authorize.js";
import { bytes, clock, compact, count, duration, plural } from "../lib/format.js";
import { closeMenu, openMenu } from "./menu.js";
import { columnPath, defaultSchemaFor, projectFor, readsDirectly, tableName } from "../lib/dialects.js";
import { searchHits, tableKey } from "../lib/catalog-search.js";

/** Tables shown at once per schema (and in search results); more on demand. */
export const CHUNK = 200;
/** Above this many tables, schemas start collapsed. */
const COLLAPSE_ABOVE = 200;
const SEARCH_DELAY_MS = 200;
const SEARCH_LIMIT = 200;
/** How often the listing is asked again while the server loads columns. */
export const POLL_MS = 1000;

const KIND_BADGES = {
  table: ["T", "Table"],
  view: ["V", "View"],
  "materialized view": ["MV", "Materialized view"],
  "external table": ["X", "External table"],
  snapshot: ["S", "Table snapshot"],
};

const kindClass = (kind) => `kind-${kind.replace(/\s+/g, "-")}`;
const given = (value) => value !== null && value !== undefined;

/** A column's type, short: "struct", "string[]" for a REPEATED string; the full type on hover. */
export function shortType(column) {
  const repeated = column.mode === "REPEATED";
  let type = column.type;
  if (repeated && /^ARRAY</i.test(type)) type = type.slice(6, -1);
  if (column.fields?.length) type = /^RECORD/i.test(type) ? "record" : "struct";
  return `${type.toLowerCase()}${repeated ? "[]" : ""}`;
}

/** A row of the tree, indented to `depth`. */
const row = (depth, className, content) =>
  html`<div class=${`row ${className}`} style=${`--depth: ${depth}`}>${content}</div>`;

const caret = (open, label, onToggle) =>
  html`<button type="button" class="caret" aria-expanded=${String(open)} aria-label=${label} @click=${onToggle}
    >${open ? "▾" : "▸"}</button
  >`;

const spacer = html`<span class="caret-space" aria-hidden="true"></span>`;

/** Add `key` to `set` if it is not there, else take it out. */
function flip(set, key) {
  if (set.has(key)) set.delete(key);
  else set.add(key);
}

const NO_SEARCH = { needle: "", matches: null, loading: [], pending: false, error: null, limit: CHUNK };

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
  let screen = nothing; // what the tree shows instead of a catalog (loading, an error, a message)
  let openSchemas = new Set();
  let openTables = new Set();
  let openFound = new Set(); // tables opened among search results (each search starts closed)
  let openFields = new Set();
  let shown = new Map(); // schema -> tables shown
  let columnErrors = new Map(); // table key -> why its columns could not be loaded
  let waiting = new Set(); // table keys whose columns are on their way
  let search = NO_SEARCH;
  let searchTimer = null;
  let searchAbort = null;
  let pollTimer = null;

  const dialect = () => connection?.dialect;
  const sqlName = (table) =>
    tableName(table.schema, table.name, dialect(), defaultSchemaFor(connection), projectFor(connection));
  /** Drag a name into the editor (CodeMirror inserts dropped text where it falls). */
  const dragName = (text) => (event) => {
    event.dataTransfer.setData("text/plain", text);
    event.dataTransfer.effectAllowed = "copy";
  };

  /** A column's menu: its name goes into the editor from here, not from the click itself. */
  const columnMenu = (path) => (event) => {
    event.preventDefault();
    const anchor = event.currentTarget.closest(".row")?.querySelector("button.name") || event.currentTarget;
    openMenu(
      anchor,
      [
        { label: "Insert name", hint: path, testid: "menu-insert", onSelect: () => onInsert(path) },
        {
          label: "Copy name",
          hint: "to the clipboard",
          testid: "menu-copy",
          onSelect: () => navigator.clipboard?.writeText(path).catch(() => {}),
        },
      ],
      { label: `Actions for ${path}` },
    );
  };

  /** A column's name: dragged into the editor, or clicked for its menu. */
  const columnButton = (path, label) =>
    html`<button
      type="button"
      class="name"
      title=${`${path}: drag it into the editor, or click for its menu`}
      aria-haspopup="menu"
      draggable="true"
      @dragstart=${dragName(path)}
      @click=${columnMenu(path)}
      @contextmenu=${columnMenu(path)}
    >${label}</button>`;

  /** Render the tree of the current state. */
  const draw = () => render(view(), tree);
  tree.replaceChildren(); // lit-html renders into these from here on
  info.replaceChildren();

  // ----- info line and refresh

  function showInfo(extra = nothing) {
    const data = catalog?.data;
    if (!data) return render(extra, info);
    const broken = data.schemas.filter((s) => s.error).length;
    const what = dialect() === "bigquery" ? "dataset" : "schema";
    const loading = catalog.loading.length;
    const listed = loading
      ? html`<span title=${`Listed by the server at ${new Date(data.loaded_at).toLocaleString()}`}
            >Listed ${plural(data.table_count, "table")} at ${clock(data.loaded_at)}</span
          ><span class="muted" data-testid="columns-loading">
            · loading columns of ${plural(loading, what)}…</span
          >`
      : html`<span title=${`Loaded by the server at ${new Date(data.loaded_at).toLocaleString()}`}
          >Loaded ${plural(data.table_count, "table")} in ${duration(data.load_ms)}, at ${clock(data.loaded_at)}</span
        >`;
    render(
      html`${listed}${
        broken > 0
          ? html`<span class="warning-text"> · ${plural(broken, `${what} unreadable`, `${what}s unreadable`)}</span>`
          : nothing
      }${extra === nothing ? nothing : html` · ${extra}`}`,
      info,
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
          testid: "menu-insert",
          onSelect: () => onInsert(sqlName(table)),
        },
        reveal && { label: "Show in tree", onSelect: () => revealTable(table) },
      ],
      { label: `Actions for ${table.name}` },
    );
  }

  function tableRow(table, open, onToggle, depth, options) {
    const [letter, kindLabel] = KIND_BADGES[table.kind] || ["?", table.kind];
    const stats = [];
    if (given(table.row_count)) stats.push(compact(table.row_count));
    if (given(table.size_bytes)) stats.push(bytes(table.size_bytes));
    const statsTitle = [
      given(table.row_count) && plural(table.row_count, "row"),
      given(table.size_bytes) && bytes(table.size_bytes),
      given(table.column_count) ? plural(table.column_count, "column") : "columns loading",
    ]
      .filter(Boolean)
      .join(" · ");
    const menu = (event) => {
      event.preventDefault();
      const anchor = event.currentTarget.classList.contains("more-actions")
        ? event.currentTarget
        : event.currentTarget.querySelector(".more-actions");
      tableMenu(anchor, table, options);
    };
    const title = [
      table.description,
      `${open ? "Hide" : "Show"} the columns of ${sqlName(table)} (drag it into the editor, or use its menu, to insert the name)`,
    ]
      .filter(Boolean)
      .join("\n\n");
    return html`<div class="row table-row" style="--depth: ${depth}" @contextmenu=${menu}
      >${caret(open, `Columns of ${table.name}`, onToggle)}<span class="kind-badge" title=${kindLabel}>${letter}</span
      ><button
        type="button"
        class="name"
        title=${title}
        aria-expanded=${String(open)}
        draggable="true"
        @dragstart=${dragName(sqlName(table))}
        @click=${onToggle}
      >${table.name}</button
      >${
        table.partitioned_by
          ? html`<span class="tag tag-partitioned" title=${`Partitioned by ${table.partitioned_by}`} data-testid="partitioned"
            >P</span
          >`
          : nothing
      }${
        table.clustered_by?.length > 0
          ? html`<span class="tag tag-clustered" title=${`Clustered by ${table.clustered_by.join(", ")}`} data-testid="clustered"
            >C</span
          >`
          : nothing
      }<span class="stats" title=${statsTitle}>${stats.length ? stats.join(" · ") : (table.column_count ?? "")}</span
      ><button
        type="button"
        class="more-actions"
        title="Preview, export, query…"
        aria-label=${`Actions for ${table.name}`}
        aria-haspopup="menu"
        aria-expanded="false"
        @click=${menu}
      >⋯</button></div
    >`;
  }

  function columnNode(table, column, parents, depth) {
    const parts = [...parents, column.name];
    const key = `${tableKey(table.schema, table.name)}\0${parts.join(".")}`;
    const nested = column.fields?.length > 0;
    const open = nested && openFields.has(key);
    const toggle = () => {
      flip(openFields, key);
      draw();
    };
    const title = [
      column.description,
      `${column.type}${column.nullable === false ? " NOT NULL" : ""}${column.mode === "REPEATED" ? " (REPEATED)" : ""}`,
    ]
      .filter(Boolean)
      .join("\n\n");
    const path = columnPath(parts, dialect());
    return html`<li class="column" data-path=${parts.join(".")}
      >${row(
        depth,
        "column-row",
        html`${nested ? caret(open, `Fields of ${parts.join(".")}`, toggle) : spacer}${columnButton(path, column.name)}${
          column.partitioning
            ? html`<span class="tag tag-partitioned" title="Partitioning column">P</span>`
            : nothing
        }${
          column.clustering
            ? html`<span class="tag tag-clustered" title=${`Clustering column ${column.clustering}`}>C</span>`
            : nothing
        }<span class="type" title=${title} data-mode=${column.mode || nothing}>${shortType(column)}</span>`,
      )}${
        open
          ? html`<ul class="fields">${column.fields.map((f) => columnNode(table, f, parts, depth + 1))}</ul>`
          : nothing
      }</li
    >`;
  }

  const note = (depth, className, content) => html`<li>${row(depth, className, content)}</li>`;

  /** A table's columns: from the cache, else "Loading…" until they arrive. */
  function columnList(table, key, depth) {
    const known = catalog.knownColumns(table.schema, table.name);
    if (known) {
      if (known.length === 0) return html`<ul class="columns">${note(depth, "note", "No columns.")}</ul>`;
      return html`<ul class="columns">${known.map((c) => columnNode(table, c, [], depth))}</ul>`;
    }
    if (!waiting.has(key)) {
      waiting.add(key);
      const mine = catalog;
      catalog.columnsOf(table.schema, table.name).then(
        () => {
          waiting.delete(key);
          if (mine === catalog) draw();
        },
        (error) => {
          waiting.delete(key);
          if (mine !== catalog) return;
          columnErrors.set(key, error);
          draw();
        },
      );
    }
    return html`<ul class="columns">${note(depth, "note loading", "Loading columns…")}</ul>`;
  }

  function tableNode(table, depth, options = {}) {
    const key = tableKey(table.schema, table.name);
    const opened = options.matches ? openFound : openTables;
    const open = opened.has(key);
    const error = columnErrors.get(key);
    const toggle = () => {
      flip(opened, key);
      columnErrors.delete(key); // opening again tries again
      draw();
    };
    const retry = () => {
      columnErrors.delete(key);
      draw();
    };
    let below = nothing;
    if (open && needsAuthorization(error)) {
      const prompt = authorizationPrompt(error, { connection: connection?.name, compact: true });
      below = html`<ul class="columns"><li>${prompt}</li></ul>`;
    } else if (open && error) {
      below = html`<ul class="columns">${note(
        depth + 1,
        "note error-message",
        html`Could not load the columns: ${error.message} <button type="button" class="link" @click=${retry}>Retry</button>`,
      )}</ul>`;
    } else if (open) {
      below = columnList(table, key, depth + 1);
    } else if (options.matches?.length) {
      below = html`<ul class="columns matches">${options.matches.map((m) => matchedColumn(m, depth + 1))}</ul>`;
    }
    return html`<li class=${`table ${kindClass(table.kind)}`} data-table=${`${table.schema}.${table.name}`}
      >${tableRow(table, open, toggle, depth, options)}${below}</li
    >`;
  }

  /** A column found by the search, under its table (nested fields by their dotted path). */
  function matchedColumn(match, depth) {
    const path = columnPath(match.column.split("."), dialect());
    return html`<li class="column match" data-path=${match.column}
      >${row(
        depth,
        "column-row",
        html`${spacer}${columnButton(path, match.column)}<span class="type" title=${match.type || ""}>${(match.type || "").toLowerCase()}</span>`,
      )}</li
    >`;
  }

  /** "Show 200 more (of 10,000)": extends a list in place. */
  const moreButton = (depth, left, onMore) =>
    html`<li class="more">${row(
      depth,
      "more-row",
      html`<button type="button" class="link" data-testid="show-more" @click=${onMore}
        >Show ${count(Math.min(left, CHUNK))} more<span class="muted"> (${count(left)} not shown)</span></button
      >`,
    )}</li>`;

  function schemaTables(schema) {
    const error = schema.error
      ? note(1, "note schema-error", html`<span class="error-message">${schema.error}</span>`)
      : nothing;
    if (schema.error && schema.tables.length === 0) return html`<ul>${error}</ul>`;
    if (schema.tables.length === 0) return html`<ul>${note(1, "note", "No tables or views.")}</ul>`;
    const limit = shown.get(schema.name) || CHUNK;
    const more = () => {
      shown.set(schema.name, limit + CHUNK);
      draw();
      const li = tree.querySelector(`li.schema[data-schema="${CSS.escape(schema.name)}"]`);
      li?.querySelectorAll("li.table")[limit]?.querySelector("button.name")?.focus();
    };
    return html`<ul class="tables"
      >${error}${schema.tables.slice(0, limit).map((t) => tableNode({ ...t, schema: schema.name }, 1))}${
        schema.tables.length > limit ? moreButton(1, schema.tables.length - limit, more) : nothing
      }</ul
    >`;
  }

  function schemaNode(schema) {
    const what = dialect() === "bigquery" ? "Dataset" : "Schema";
    const open = openSchemas.has(schema.name);
    const loading = schema.columns === "loading";
    const toggle = () => {
      flip(openSchemas, schema.name);
      if (openSchemas.has(schema.name) && loading) {
        catalog.want(schema.name); // its columns next, asked for now
        poll(0);
      }
      draw();
    };
    const icon = schema.error
      ? html`<span class="schema-icon warning-text" title=${schema.error} aria-label="unreadable">⚠</span>`
      : html`<span class="schema-icon" aria-hidden="true">▤</span>`;
    const title = schema.error
      ? `${what} ${schema.name} could not be read: ${schema.error}`
      : `${what} ${schema.name}`;
    const head = row(
      0,
      `schema-row${schema.error ? " unreadable" : ""}`,
      html`${caret(open, `Tables of ${schema.name}`, toggle)}${icon}<button
          type="button"
          class="name"
          title=${title}
          @click=${toggle}
        >${schema.name}</button
        >${
          loading
            ? html`<span class="tag tag-loading" title="Loading its columns…" data-testid="schema-loading">…</span>`
            : nothing
        }<span class="stats" title=${schema.error ? "" : plural(schema.tables.length, "table")}
          >${schema.error && schema.tables.length === 0 ? "unreadable" : count(schema.tables.length)}</span
        >`,
    );
    return html`<li class="schema" data-schema=${schema.name}>${head}${open ? schemaTables(schema) : nothing}</li>`;
  }

  function treeView() {
    const data = catalog.data;
    if (data.schemas.length === 0) return html`<p class="empty">No tables or views.</p>`;
    return html`<ul class="tree">${data.schemas.map(schemaNode)}</ul>`;
  }

  // ----- search

  function searchStatus() {
    if (search.error)
      return html`<p class="search-status error-message">Column search failed: ${search.error}</p>`;
    if (search.pending) return html`<p class="search-status muted">Searching columns…</p>`;
    if (search.loading?.length)
      return html`<p class="search-status muted" data-testid="search-loading">
        Still loading columns of: ${search.loading.join(", ")}
      </p>`;
    if (search.matches?.length >= SEARCH_LIMIT)
      return html`<p class="search-status muted">Showing the best ${SEARCH_LIMIT} column matches.</p>`;
    return nothing;
  }

  function searchView() {
    const hits = searchHits(catalog, search.needle, search.matches);
    if (hits.length === 0) {
      const none = search.pending ? nothing : html`<p class="empty">Nothing matches “${search.needle}”.</p>`;
      return html`${none}${searchStatus()}`;
    }
    const visible = hits.slice(0, search.limit);
    const bySchema = new Map();
    for (const hit of visible) {
      if (!bySchema.has(hit.table.schema)) bySchema.set(hit.table.schema, []);
      bySchema.get(hit.table.schema).push(hit);
    }
    const more = () => {
      search.limit += CHUNK;
      draw();
      tree.querySelectorAll("li.table")[visible.length]?.querySelector("button.name")?.focus();
    };
    return html`${searchStatus()}<ul class="tree results"
      >${[...bySchema].map(
        ([schema, list]) =>
          html`<li class="schema" data-schema=${schema}
            >${row(0, "schema-heading", html`<span class="schema-icon" aria-hidden="true">▤</span>${schema}`)}<ul
              class="tables"
            >${list.map((hit) => tableNode(hit.table, 1, { matches: hit.matches, reveal: true }))}</ul></li
          >`,
      )}${hits.length > visible.length ? moreButton(0, hits.length - visible.length, more) : nothing}</ul
    >`;
  }

  function view() {
    if (screen !== nothing || !catalog?.data) return screen;
    return search.needle ? searchView() : treeView();
  }

  async function runSearch(needle) {
    searchAbort?.abort();
    const controller = new AbortController();
    searchAbort = controller;
    try {
      const found = await catalog.search(needle, { limit: SEARCH_LIMIT, signal: controller.signal });
      if (searchAbort !== controller) return;
      search = { ...search, matches: found.matches, loading: found.loading, pending: false, error: null };
    } catch (error) {
      if (error.name === "AbortError" || searchAbort !== controller) return;
      search = { ...search, pending: false, error: error.message };
    }
    draw();
  }

  function onFilter() {
    if (!catalog?.data) return;
    const needle = filter.value.trim();
    clearTimeout(searchTimer);
    if (!needle) {
      searchAbort?.abort();
      search = NO_SEARCH;
      draw();
      return;
    }
    search = { needle, matches: null, loading: [], pending: true, error: null, limit: CHUNK };
    openFound = new Set();
    draw(); // table names at once, columns when the server answers
    searchTimer = setTimeout(() => runSearch(needle), SEARCH_DELAY_MS);
  }

  /** Show the catalog (searching again if the box holds a search). */
  function showCatalog() {
    screen = nothing;
    if (filter.value.trim()) onFilter();
    else {
      search = NO_SEARCH;
      draw();
    }
  }

  /** Show `content` instead of a catalog. */
  function showScreen(content) {
    screen = content;
    draw();
  }

  /** Leave the search and show a table in the tree, open and scrolled to. */
  function revealTable(table) {
    filter.value = "";
    search = NO_SEARCH;
    openSchemas.add(table.schema);
    openTables.add(tableKey(table.schema, table.name));
    const schema = catalog.data.schemas.find((s) => s.name === table.schema);
    const at = schema ? schema.tables.findIndex((t) => t.name === table.name) : -1;
    if (at >= (shown.get(table.schema) || CHUNK))
      shown.set(table.schema, (Math.floor(at / CHUNK) + 1) * CHUNK);
    draw();
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

  /**
   * While the server still loads columns, ask for the listing again in `delay` ms (and again
   * after that, until it is complete): the tree, the info line and a search fill in.
   */
  function poll(delay = POLL_MS) {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (!catalog || catalog.complete) return;
    const mine = catalog;
    pollTimer = setTimeout(async () => {
      pollTimer = null;
      const before = mine.loading.join("\0");
      try {
        await mine.poll();
      } catch {
        // tried again at the next tick
      }
      if (mine !== catalog) return;
      showInfo();
      if (screen === nothing && search.needle && before !== mine.loading.join("\0")) runSearch(search.needle);
      else draw();
      if (mine.complete) onLoaded(mine);
      else poll();
    }, delay);
  }

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
      if (refreshing) columnErrors = new Map();
      showInfo();
      showCatalog();
      onLoaded(mine);
      poll();
    } catch (error) {
      if (token !== loads) return;
      if (needsAuthorization(error)) {
        render(nothing, info);
        showScreen(authorizationPrompt(error, { connection: connection?.name, compact: true }));
      } else if (refreshing && mine.data) {
        showInfo(html`<span class="error-message">refresh failed: ${error.message}</span>`);
      } else {
        render(nothing, info);
        showScreen(html`<p class="error-message">Could not list tables: ${error.message}</p>`);
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
      columnErrors = new Map();
      waiting = new Set();
      if (catalog.data) {
        loads += 1; // an older connection's load no longer shows
        refresh.disabled = false;
        refresh.classList.remove("spinning");
        openSchemas = initiallyOpen(catalog.data);
        showInfo();
        showCatalog();
        poll();
        return;
      }
      render(nothing, info);
      showScreen(html`<p class="empty">Loading tables…</p>`);
      await fetchCatalog(false);
    },

    /** Reload the catalog on the server (the refresh button). */
    refresh: () => catalog && fetchCatalog(true),

    /** Show a message instead of a catalog (no connections...). */
    message(node) {
      catalog = null;
      loads += 1;
      render(nothing, info);
      showScreen(node);
    },
  };
}
