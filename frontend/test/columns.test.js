import assert from "node:assert/strict";
import { test } from "node:test";
import { referencedTables, statementAt } from "../src/lib/columns.js";

/** A catalog as columns.js sees it: tables found by name. */
const catalog = (tables) => ({
  named: (name) => tables.filter((t) => t.name.toLowerCase() === name.toLowerCase()),
});

const SALES = { schema: "main", name: "sales" };
const OTHER_SALES = { schema: "archive", name: "sales" };
const REGIONS = { schema: "main", name: "regions" };

test("the statement around the cursor", () => {
  const text = "select 1; select * from sales; select 3";
  assert.equal(statementAt(text, 15), " select * from sales");
  assert.equal(statementAt(text, 2), "select 1");
  assert.equal(statementAt(text, text.length), " select 3");
});

test("the tables a statement reads, with their aliases", () => {
  const found = referencedTables(
    catalog([SALES, OTHER_SALES, REGIONS]),
    "select * from sales s join main.regions as r on s.region = r.id where true",
    "main",
  );
  assert.deepEqual(found, [
    { table: SALES, alias: "s" },
    { table: REGIONS, alias: "r" },
  ]);
});

test("keywords are no aliases; unknown tables are left out", () => {
  const found = referencedTables(catalog([SALES]), "select * from sales where x join nowhere", "main");
  assert.deepEqual(found, [{ table: SALES, alias: null }]);
});

test("a qualified name picks its schema", () => {
  const found = referencedTables(catalog([SALES, OTHER_SALES]), 'select * from "archive".sales', "main");
  assert.deepEqual(found, [{ table: OTHER_SALES, alias: null }]);
});
