// The schema browser's search, over a Catalog (catalog.js): tables whose name holds the text,
// plus the tables of the columns the server found, in the catalog's schema order, best first.
// No DOM here.

/** The key of a table in a catalog's maps. */
export const tableKey = (schema, name) => `${schema}\0${name}`;

/** 0: the name is the text; 1: it starts with it; 2: it holds it. */
function rankOf(name, needle) {
  const lower = name.toLowerCase();
  return lower === needle ? 0 : lower.startsWith(needle) ? 1 : 2;
}

/**
 * The hits of searching `text`: [{table, rank, matches}], `matches` being the server's column
 * matches under that table (`serverMatches`: what it answered, or null while it has not).
 */
export function searchHits(catalog, text, serverMatches) {
  const needle = text.toLowerCase();
  const found = new Map(); // key -> {table, rank, matches}
  for (const table of catalog.tables) {
    if (table.name.toLowerCase().includes(needle)) {
      found.set(tableKey(table.schema, table.name), { table, rank: rankOf(table.name, needle), matches: [] });
    }
  }
  for (const match of serverMatches || []) {
    const key = tableKey(match.schema, match.table);
    const table = catalog.table(match.schema, match.table);
    if (!table) continue;
    if (!found.has(key)) found.set(key, { table, rank: 3, matches: [] });
    if (match.kind === "column" && match.column) found.get(key).matches.push(match);
  }
  const order = new Map(catalog.data.schemas.map((s, i) => [s.name, i]));
  return [...found.values()].sort(
    (a, b) =>
      order.get(a.table.schema) - order.get(b.table.schema) ||
      a.rank - b.rank ||
      a.table.name.localeCompare(b.table.name),
  );
}
