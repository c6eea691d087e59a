import assert from "node:assert/strict";
import { test } from "node:test";
import {
  columnOptions,
  fitsAggregate,
  draftOf,
  emptyDraft,
  metricName,
  parseValue,
  resultNames,
  specOf,
  valueType,
} from "../src/lib/chart-draft.js";

const SOURCE = { kind: "table", schema: "main", table: "sales" };
const COLUMNS = [
  { name: "region", type: "VARCHAR", family: "text" },
  { name: "qty", type: "BIGINT", family: "numeric" },
  { name: "paid", type: "BOOLEAN", family: "boolean" },
  { name: "day", type: "DATE", family: "temporal" },
];

test("metric names as the server gives them", () => {
  assert.equal(metricName({ agg: "count", column: "" }), "count");
  assert.equal(metricName({ agg: "sum", column: "qty" }), "sum_qty");
  assert.equal(metricName({ agg: "custom", sql: "1" }), "custom");
  assert.equal(metricName({ agg: "sum", column: "qty", label: "Total" }), "Total");
});

test("filter values are typed by the column's family", () => {
  assert.equal(parseValue(" 12 ", "numeric"), 12);
  assert.equal(parseValue("12", "text"), "12");
  assert.equal(parseValue("abc", "numeric"), "abc");
  assert.equal(parseValue("TRUE", "boolean"), true);
  assert.deepEqual(valueType("temporal", ["2024-01-01", "2024-02-01"]), { value_type: "date" });
  assert.deepEqual(valueType("temporal", "2024-01-01 10:00"), { value_type: "datetime" });
  assert.deepEqual(valueType("text", "2024-01-01"), {});
});

test("a spec round-trips through its draft", () => {
  const spec = {
    type: "line",
    source: SOURCE,
    dimensions: ["region"],
    metrics: [{ agg: "sum", column: "qty", sql: null, label: null }],
    filters: [
      { column: "qty", op: "between", value: [1, null] },
      { column: "region", op: "in", value: ["north", "south"] },
      { column: "day", op: "gte", value: "2024-01-01", value_type: "date" },
      { column: "paid", op: "is_null", value: null },
    ],
    time: { column: "day", grain: "month" },
    sort: [{ by: "sum_qty", desc: true }],
    limit: 500,
    options: { stacked: true, donut: false, title: "Sales" },
  };
  assert.deepEqual(specOf(draftOf(spec), SOURCE, COLUMNS), spec);
});

test("an empty draft is a bar chart counting rows", () => {
  const spec = specOf(emptyDraft(), SOURCE, COLUMNS);
  assert.equal(spec.type, "bar");
  assert.deepEqual(spec.metrics, [{ agg: "count", column: null, sql: null, label: null }]);
  assert.equal(spec.limit, 1000);
});

test("column pickers: time offers temporal columns, unknown names are kept", () => {
  assert.deepEqual(columnOptions(COLUMNS, "", { temporal: true, empty: "None" }), [
    ["", "None"],
    ["day", "day", { title: "DATE" }],
  ]);
  const options = columnOptions(COLUMNS, "gone");
  assert.deepEqual(options[0], ["gone", "gone (not in source)"]);
  assert.deepEqual(columnOptions(COLUMNS, "")[0], ["", "Pick a column", { disabled: true }]);
});

test("sorts name the chart's columns, else every source column", () => {
  const draft = emptyDraft();
  draft.dimensions = ["region"];
  assert.deepEqual(resultNames(draft, COLUMNS), ["region", "count"]);
  assert.deepEqual(resultNames({ ...draft, dimensions: [], metrics: [] }, COLUMNS), [
    "region",
    "qty",
    "paid",
    "day",
  ]);
});

test("sum and average pickers offer numeric columns only", () => {
  const columns = [
    { name: "region", type: "VARCHAR", family: "text" },
    { name: "total", type: "DECIMAL(12,2)", family: "numeric" },
    { name: "day", type: "DATE", family: "temporal" },
  ];
  assert.deepEqual(columnOptions(columns, "total", { numeric: true }), [
    ["total", "total", { title: "DECIMAL(12,2)" }],
  ]);
  assert.deepEqual(columnOptions(columns, "region", { numeric: true })[0], [
    "region",
    "region (not a number)",
    { disabled: true },
  ]);
  assert.equal(fitsAggregate("sum", columns[0]), false);
  assert.equal(fitsAggregate("avg", columns[1]), true);
  assert.equal(fitsAggregate("max", columns[0]), true);
});
