import assert from "node:assert/strict";
import { test } from "node:test";
import { appliedFilters, filterKeys, valueKey, valuesNote } from "../src/lib/filters.js";

const FILTERS = [
  { column: "region", kind: "values" },
  { column: "order_date", kind: "date_range", label: "Ordered" },
  { column: "channel", kind: "values" },
];

test("the picked values apply in the order of the filters", () => {
  const picks = new Map([
    ["channel", ["web", null]],
    ["order_date", { start: "2024-01-01", end: "" }],
    ["region", [3]],
  ]);
  assert.deepEqual(appliedFilters(FILTERS, picks, new Set(["region", "order_date", "channel"])), [
    { column: "region", values: [3] },
    { column: "order_date", start: "2024-01-01", end: null },
    { column: "channel", values: ["web", null] },
  ]);
});

test("filters with nothing picked apply nothing", () => {
  const picks = new Map([
    ["region", []],
    ["order_date", { start: "", end: "" }],
  ]);
  assert.deepEqual(appliedFilters(FILTERS, picks, new Set(["region", "channel"])), []);
  assert.deepEqual(appliedFilters(FILTERS, new Map(), new Set()), []);
});

test("a date range open at the start, and a value list not saved yet", () => {
  const picks = new Map([
    ["order_date", { end: "2024-06-30" }],
    ["channel", ["web"]],
  ]);
  assert.deepEqual(appliedFilters(FILTERS, picks, new Set(["region"])), [
    { column: "order_date", start: null, end: "2024-06-30" },
  ]);
});

test("applied values are copies of the picks", () => {
  const picked = ["a"];
  const [applied] = appliedFilters([FILTERS[0]], new Map([["region", picked]]), new Set(["region"]));
  picked.push("b");
  assert.deepEqual(applied.values, ["a"]);
});

test("values compare by their JSON", () => {
  assert.equal(valueKey(1), valueKey(1));
  assert.notEqual(valueKey(1), valueKey("1"));
  assert.equal(valueKey(null), "null");
});

test("the note under a value list", () => {
  assert.equal(
    valuesNote({ listed: false, values: null }),
    "Its values are listed once the dashboard is saved.",
  );
  assert.equal(valuesNote({ listed: true, values: null, error: null }), "Loading…");
  assert.equal(
    valuesNote({ listed: true, values: null, error: new Error("boom") }),
    "Could not list the values: boom",
  );
  assert.equal(valuesNote({ listed: true, values: [], error: null }), "No values.");
  assert.equal(valuesNote({ listed: true, values: ["a"], error: null }), "");
});

test("filter keys are their columns, unique", () => {
  assert.deepEqual(filterKeys(FILTERS), ["region", "order_date", "channel"]);
  assert.deepEqual(filterKeys([{ column: "a" }, { column: "a" }, { column: "b" }]), ["a", "a#1", "b"]);
  assert.deepEqual(filterKeys([]), []);
});
