// Completion from the catalog, beyond what @codemirror/lang-sql does with table names: the
// columns of the tables a statement reads (bare, after "table." or "alias."), nested fields after
// "column." or "alias.column.", and tables outside the default schema right after FROM/JOIN
// (qualified as the dialect wants). Columns are fetched the first time they are needed.
import { columnPath, tableName } from "./dialects.js";

const PART = String.raw`(?:\x60[^\x60]+\x60|"[^"]+"|[\w$-]+)`; // \x60 is a backtick
const REFERENCE = new RegExp(
  String.raw`\b(?:from|join)\s+(${PART}(?:\s*\.\s*${PART})*)(?:\s+(?:as\s+)?([A-Za-z_][\w$]*))?`,
  "gi",
);
const NOT_ALIASES = new Set(
  (
    "where join on using group order limit left right inner outer full cross natural union " +
    "intersect except window qualify having select as tablesample for lateral unnest offset " +
    "fetch with set returning into values partition pivot unpivot"
  ).split(" "),
);

/** The parts of a written name: `a.b`.c → [a, b, c]; "x.y".z → [x.y, z]. */
function nameParts(text) {
  const parts = [];
  for (const match of text.matchAll(new RegExp(PART, "g"))) {
    const part = match[0];
    if (part.startsWith("`")) parts.push(...part.slice(1, -1).split("."));
    else if (part.startsWith('"')) parts.push(part.slice(1, -1));
    else parts.push(part);
  }
  return parts;
}

/** The text of the statement around `pos` (between semicolons). */
export function statementAt(text, pos) {
  const start = text.lastIndexOf(";", pos - 1) + 1;
  const end = text.indexOf(";", pos);
  return text.slice(start, end < 0 ? text.length : end);
}

/**
 * The catalog tables a statement reads, each with the alias it is given (or null):
 * [{table, alias}]. Unknown names are left out.
 */
export function referencedTables(catalog, text, defaultSchema) {
  const found = [];
  for (const match of text.matchAll(REFERENCE)) {
    const parts = nameParts(match[1]);
    const name = parts[parts.length - 1];
    const schema = parts.length > 1 ? parts[parts.length - 2] : null;
    const candidates = catalog
      .named(name)
      .filter((t) => !schema || t.schema.toLowerCase() === schema.toLowerCase());
    const preferred = schema ? candidates : candidates.filter((t) => t.schema === defaultSchema);
    const alias = match[2] && !NOT_ALIASES.has(match[2].toLowerCase()) ? match[2] : null;
    for (const table of preferred.length ? preferred : candidates) found.push({ table, alias });
  }
  return found;
}

/** Fetch (once) the columns of the tables a text reads, so completion has them at hand. */
export function prefetchColumns(catalog, text, defaultSchema) {
  for (const { table } of referencedTables(catalog, text, defaultSchema).slice(0, 20)) {
    catalog.columnsOf(table.schema, table.name).catch(() => {});
  }
}

/** The fields under a dotted path of columns (null when the path leads nowhere). */
function fieldsAt(columns, path) {
  let level = columns;
  for (const name of path) {
    const next = level.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!next?.fields?.length) return null;
    level = next.fields;
  }
  return level;
}

const option = (column, table, dialect) => ({
  label: column.name,
  apply: columnPath([column.name], dialect),
  type: "property",
  detail: `${column.fields?.length ? "struct" : column.type.toLowerCase()}${column.mode === "REPEATED" ? "[]" : ""} · ${table.name}`,
  info: column.description || undefined,
  boost: 10,
});

const columnsOf = (catalog, table) => catalog.columnsOf(table.schema, table.name).catch(() => []);

/**
 * A completion source over a Catalog (catalog.js) for a connection of `dialect` whose
 * unqualified names live in `defaultSchema` (BigQuery: whose tables are qualified by `project`
 * when it is given).
 */
export function catalogCompletion(catalog, dialect, defaultSchema, project = null) {
  return async (context) => {
    const before = context.state.sliceDoc(Math.max(0, context.pos - 500), context.pos);
    const dotted = /((?:[A-Za-z_][\w$]*\.)+)([\w$]*)$/.exec(before);
    const statement = statementAt(context.state.doc.toString(), context.pos);
    const refs = referencedTables(catalog, statement, defaultSchema);

    if (dotted) {
      // alias.col, table.col, alias.struct.field, struct.field
      const path = dotted[1].slice(0, -1).split(".");
      const from = context.pos - dotted[2].length;
      const head = path[0].toLowerCase();
      const owners = refs.filter(
        (r) => r.alias?.toLowerCase() === head || (!r.alias && r.table.name.toLowerCase() === head),
      );
      const options = [];
      for (const { table } of owners) {
        const fields = fieldsAt(await columnsOf(catalog, table), path.slice(1));
        for (const field of fields || []) options.push(option(field, table, dialect));
      }
      if (!owners.length) {
        for (const { table } of refs) {
          const fields = fieldsAt(await columnsOf(catalog, table), path);
          for (const field of fields || []) options.push(option(field, table, dialect));
        }
      }
      return options.length ? { from, options, validFor: /^[\w$]*$/ } : null;
    }

    const word = context.matchBefore(/[\w$]+/);
    if (!word && !context.explicit) return null;
    const from = word ? word.from : context.pos;
    if (context.state.sliceDoc(from - 1, from) === ".") return null;
    const options = [];
    const seen = new Set();
    for (const { table } of refs) {
      for (const column of await columnsOf(catalog, table)) {
        if (seen.has(column.name)) continue;
        seen.add(column.name);
        options.push(option(column, table, dialect));
      }
    }
    // Right after FROM or JOIN: tables of other schemas, qualified (BigQuery: every table).
    if (/\b(?:from|join)\s+$/i.test(context.state.sliceDoc(Math.max(0, from - 20), from))) {
      for (const table of catalog.tables) {
        if (table.schema === defaultSchema) continue; // lang-sql offers these
        options.push({
          label: table.name,
          apply: tableName(table.schema, table.name, dialect, defaultSchema, project),
          type: table.kind.includes("view") ? "interface" : "class",
          detail: table.schema,
          boost: 5,
        });
      }
    }
    return options.length ? { from, options, validFor: /^[\w$]*$/ } : null;
  };
}
