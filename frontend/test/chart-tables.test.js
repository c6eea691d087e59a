import assert from "node:assert/strict";
import { test } from "node:test";
import { cellText, columnRoles, isNumeric, pivot } from "../src/components/chart-tables.js";

const DATA = {
  columns: [
    { name: "region", family: "text" },
    { name: "year", family: "numeric" },
    { name: "total", family: "numeric" },
  ],
  rows: [
    ["north", 2024, 10],
    ["south", 2023, 5],
    ["north", 2023, 7],
  ],
};

test("numbers are told by the family the server sends", () => {
  assert.equal(isNumeric({ name: "n", type: "BIGINT", family: "numeric" }), true);
  assert.equal(isNumeric({ name: "n", type: "BIGINT", family: "other" }), false);
});

test("cell text", () => {
  assert.equal(cellText(null), "NULL");
  assert.equal(cellText({ a: 1 }), '{"a":1}');
  assert.equal(cellText("x"), "x");
});

test("roles: from the spec, else the trailing numeric columns are metrics", () => {
  assert.deepEqual(columnRoles(DATA, { dimensions: ["region", "year"] }), {
    dimensions: ["region", "year"],
    metrics: ["total"],
  });
  assert.deepEqual(columnRoles(DATA), { dimensions: ["region"], metrics: ["year", "total"] });
});

test("a pivot: rows in order of appearance, columns sorted", () => {
  const { rowKeys, colKeys, cell } = pivot(DATA, { dimensions: ["region", "year"], metrics: ["total"] });
  assert.deepEqual(rowKeys, ["north", "south"]);
  assert.deepEqual(colKeys, [[2023], [2024]]);
  assert.equal(cell("north", [2023], "total"), 7);
  assert.equal(cell("south", [2024], "total"), undefined);
});
