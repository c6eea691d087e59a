import assert from "node:assert/strict";
import { test } from "node:test";
import {
  appliedFilters,
  crossWith,
  filterKeys,
  fromUrlValue,
  parseState,
  presetRange,
  rangeProblem,
  stateQuery,
  tileFilters,
  urlValue,
  valueKey,
  valuesNote,
} from "../src/lib/filters.js";

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

// A Wednesday in the middle of the year's second quarter (local time, as the browser's).
const TODAY = new Date(2026, 4, 13, 15, 30);

test("each preset stands for a range of dates on a given day", () => {
  const ranges = Object.fromEntries(
    ["last_7_days", "last_30_days", "this_month", "this_quarter", "year_to_date", "last_year"].map((p) => [
      p,
      presetRange(p, TODAY),
    ]),
  );
  assert.deepEqual(ranges, {
    last_7_days: { start: "2026-05-07", end: "2026-05-13" },
    last_30_days: { start: "2026-04-14", end: "2026-05-13" },
    this_month: { start: "2026-05-01", end: "2026-05-31" },
    this_quarter: { start: "2026-04-01", end: "2026-06-30" },
    year_to_date: { start: "2026-01-01", end: "2026-05-13" },
    last_year: { start: "2025-01-01", end: "2025-12-31" },
  });
  assert.equal(presetRange("custom", TODAY), null);
  assert.deepEqual(presetRange("last_7_days", new Date(2024, 2, 3)), {
    start: "2024-02-26",
    end: "2024-03-03",
  });
});

test("a preset applies the range of the day it applies on", () => {
  const picks = new Map([["order_date", { preset: "last_year", start: "", end: "" }]]);
  assert.deepEqual(appliedFilters(FILTERS, picks, new Set(), TODAY), [
    { column: "order_date", start: "2025-01-01", end: "2025-12-31" },
  ]);
});

test("a reversed range is a problem and applies nothing", () => {
  const reversed = { preset: "custom", start: "2024-03-31", end: "2024-01-01" };
  assert.equal(rangeProblem(reversed), "The start date is after the end date.");
  assert.equal(rangeProblem({ start: "2024-01-01", end: "2024-01-01" }), "");
  assert.equal(rangeProblem({ start: "2024-01-01" }), "");
  assert.equal(rangeProblem({ preset: "this_month" }, TODAY), "");
  assert.deepEqual(appliedFilters(FILTERS, new Map([["order_date", reversed]]), new Set()), []);
});

test("values in the URL: strings as themselves, the rest as *JSON", () => {
  for (const value of ["West", "", "*star", "3", 3, 2.5, true, null, "a b&c=d"])
    assert.deepEqual(fromUrlValue(urlValue(value)), value);
  assert.equal(urlValue("West"), "West");
  assert.equal(urlValue(3), "*3");
  assert.equal(fromUrlValue("*{bad"), undefined);
  assert.equal(fromUrlValue("*[1]"), undefined);
});

test("the filter state goes to the query string and comes back", () => {
  const picks = new Map([
    ["region", ["West", 3, null]],
    ["order_date", { preset: "last_7_days", start: "", end: "" }],
    ["channel", []],
  ]);
  const cross = [{ tile: "t1", column: "category", value: "Books" }];
  const query = stateQuery(FILTERS, picks, cross);
  assert.match(query, /^f\.region=West&f\.region=\*3&f\.region=\*null&f\.order_date=last_7_days&x=/);
  const back = parseState(`?${query}`, FILTERS);
  assert.deepEqual(
    [...back.picks],
    [
      ["region", ["West", 3, null]],
      ["order_date", { preset: "last_7_days", start: "", end: "" }],
    ],
  );
  assert.deepEqual(back.cross, cross);
  const custom = new Map([["order_date", { preset: "custom", start: "2024-01-01", end: "" }]]);
  assert.equal(stateQuery(FILTERS, custom), "f.order_date=2024-01-01..");
  assert.deepEqual(parseState("f.order_date=2024-01-01..", FILTERS).picks.get("order_date"), {
    preset: "custom",
    start: "2024-01-01",
    end: "",
  });
  assert.equal(stateQuery(FILTERS, new Map()), "");
});

test("a crafted query string yields only what parses", () => {
  const search =
    "f.order_date=2024-13-45..&f.nope=1&x=%5B1%2C%22a%22%2C%22b%22%5D&x=notjson&x=%5B%22t%22%2C%22c%22%2C%7B%7D%5D" +
    "&f.region=*%7B";
  const state = parseState(search, FILTERS);
  assert.deepEqual([...state.picks], []);
  assert.deepEqual(state.cross, []);
  assert.equal(parseState("f.order_date=yesterday", FILTERS).picks.size, 0);
});

test("cross-filters: one per column, and never on the tile clicked", () => {
  const a = { tile: "t1", column: "region", value: "West" };
  const b = { tile: "t2", column: "region", value: "East" };
  const c = { tile: "t2", column: "channel", value: "web" };
  assert.deepEqual(crossWith([a], c, b), [c, b]);
  const applied = [{ column: "order_date", start: "2024-01-01", end: null }];
  assert.deepEqual(tileFilters(applied, [a, c], "t2"), [...applied, { column: "region", values: ["West"] }]);
  assert.deepEqual(tileFilters(applied, [a], "t1"), applied);
});
