// A connection's catalog as the browser holds it: the listing (schemas and their tables, cached
// by the server; while the server still loads some schemas' columns, asked again with the
// schemas the user wants first), each table's columns fetched once when first needed, and the
// server's search. Shared by the schema browser and the editor's completion. No DOM here.
import { get } from "./api.js";

const path = (connection) => `/api/v1/connections/${encodeURIComponent(connection)}/catalog`;

export class Catalog {
  /** The catalog of a connection ({name, dialect, options} as listed by the API). */
  constructor(connection) {
    this.connection = connection.name;
    this.dialect = connection.dialect;
    this.data = null; // the last listing: {loaded_at, load_ms, table_count, complete, schemas}
    this.tables = []; // every table, flat: the listing's summaries plus `schema`
    this.byName = new Map(); // lower-case table name -> tables of that name
    this.byKey = new Map(); // "schema\0table" -> table
    this.columns = new Map(); // "schema\0table" -> Promise of the table with its columns
    this.loaded = new Map(); // "schema\0table" -> columns, once they arrived
    this.pending = null;
    this.wanted = []; // schemas whose columns the user wants first, the latest first
    this.asked = 0; // listings asked for
    this.shown = 0; // the latest listing applied
  }

  /** Every schema's columns are loaded (or failed) on the server. */
  get complete() {
    return this.data?.complete !== false;
  }

  /** Names of the schemas whose columns the server is still loading. */
  get loading() {
    return (this.data?.schemas || []).filter((s) => s.columns === "loading").map((s) => s.name);
  }

  /** The listing; `refresh` has the server load it again (and forgets fetched columns). */
  load({ refresh = false } = {}) {
    if (this.pending && !refresh) return this.pending;
    const loading = this.ask({ refresh }).then((data) => {
      if (refresh) {
        this.columns.clear();
        this.loaded.clear();
      }
      return data;
    });
    this.pending = loading;
    loading.catch(() => {
      if (this.pending === loading) this.pending = null; // let the next call try again
    });
    return loading;
  }

  /** Ask for the listing again (while columns are loading): what the server has now. */
  poll() {
    return this.ask({});
  }

  /** Have the server load this schema's columns next (sent with the next listing asked). */
  want(schema) {
    this.wanted = [schema, ...this.wanted.filter((s) => s !== schema)].slice(0, 20);
  }

  /** Ask the server for the listing; a later answer already shown wins over this one. */
  async ask(params) {
    const mine = ++this.asked;
    const query = new URLSearchParams();
    if (params.refresh) query.set("refresh", "true");
    for (const schema of this.wanted) query.append("prioritize", schema);
    const text = query.toString();
    const data = await get(text ? `${path(this.connection)}?${text}` : path(this.connection));
    if (mine < this.shown) return this.data; // a later listing arrived first
    this.shown = mine;
    this.data = data;
    this.tables = data.schemas.flatMap((s) => s.tables.map((t) => ({ ...t, schema: s.name })));
    this.byName = new Map();
    this.byKey = new Map(this.tables.map((t) => [`${t.schema}\0${t.name}`, t]));
    for (const table of this.tables) {
      const key = table.name.toLowerCase();
      if (!this.byName.has(key)) this.byName.set(key, []);
      this.byName.get(key).push(table);
    }
    return data;
  }

  /** A table's summary from the listing, or undefined. */
  table(schema, name) {
    return this.byKey.get(`${schema}\0${name}`);
  }

  /** Tables of a name (case-insensitive), in any schema. */
  named(name) {
    return this.byName.get(name.toLowerCase()) || [];
  }

  /** A table's columns (with nested fields) if they were fetched already, else undefined. */
  knownColumns(schema, name) {
    return this.loaded.get(`${schema}\0${name}`);
  }

  /** A table's columns, fetched once from the server (failed fetches are tried again). */
  columnsOf(schema, name) {
    const key = `${schema}\0${name}`;
    let found = this.columns.get(key);
    if (!found) {
      const address = `${path(this.connection)}/tables/${encodeURIComponent(schema)}/${encodeURIComponent(name)}`;
      found = get(address).then((table) => {
        this.loaded.set(key, table.columns || []);
        return table.columns || [];
      });
      found.catch(() => this.columns.delete(key));
      this.columns.set(key, found);
    }
    return found;
  }

  /**
   * Tables and columns whose name contains `q`, best first (the server's ranking):
   * {matches, loading}, `loading` naming the schemas whose columns were not searched yet.
   */
  async search(q, { limit = 200, signal } = {}) {
    const answer = await get(`${path(this.connection)}/search`, { q, limit }, { signal });
    return { matches: answer.matches, loading: answer.loading || [] };
  }
}
