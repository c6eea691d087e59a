import assert from "node:assert/strict";
import { test } from "node:test";
import { searchHits } from "../src/lib/catalog-search.js";

const TABLES = [
  { schema: "main", name: "order_lines" },
  { schema: "main", name: "orders" },
  { schema: "main", name: "customer_orders" },
  { schema: "main", name: "products" },
  { schema: "archive", name: "orders" },
];

/** A catalog as the search sees it: its tables, a lookup, and the schemas in order. */
const catalog = {
  tables: TABLES,
  table: (schema, name) => TABLES.find((t) => t.schema === schema && t.name === name),
  data: { schemas: [{ name: "main" }, { name: "archive" }] },
};

const names = (hits) => hits.map((h) => `${h.table.schema}.${h.table.name}`);

test("names: exact, then prefix, then anywhere; schemas in the catalog's order", () => {
  assert.deepEqual(names(searchHits(catalog, "Orders", null)), [
    "main.orders",
    "main.customer_orders",
    "archive.orders",
  ]);
  assert.deepEqual(names(searchHits(catalog, "order", null)), [
    "main.order_lines",
    "main.orders",
    "main.customer_orders",
    "archive.orders",
  ]);
});

test("the server's column matches add their tables, after the name matches", () => {
  const matches = [
    { kind: "column", schema: "main", table: "products", column: "unit_price" },
    { kind: "column", schema: "main", table: "orders", column: "price" },
    { kind: "column", schema: "gone", table: "t", column: "price" },
  ];
  const hits = searchHits(catalog, "price", matches);
  assert.deepEqual(names(hits), ["main.orders", "main.products"]);
  assert.deepEqual(
    hits.map((h) => h.matches.map((m) => m.column)),
    [["price"], ["unit_price"]],
  );
});
