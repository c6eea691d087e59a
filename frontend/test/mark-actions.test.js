import assert from "node:assert/strict";
import { test } from "node:test";
import { crossColumns, markPoint } from "../src/components/mark-actions.js";

const DATA = {
  columns: [
    { name: "order_date", family: "temporal" },
    { name: "region", family: "text" },
    { name: "orders", family: "numeric" },
  ],
  dimensions: ["order_date", "region"],
  metrics: ["orders"],
};

test("a mark's point: the chart's dimensions its datum holds", () => {
  const datum = { order_date: "2024-01-01", region: "West", orders: 12, __stack: 3 };
  assert.deepEqual(markPoint(datum, DATA), { order_date: "2024-01-01", region: "West" });
  assert.deepEqual(markPoint({ region: null, orders: 1 }, DATA), { region: null });
  assert.deepEqual(markPoint({ region: { nested: 1 } }, DATA), {});
  assert.deepEqual(markPoint({ region: "West" }, null), {});
});

test("a cross-filter is offered on the dimensions that are not times", () => {
  const point = { order_date: "2024-01-01", region: "West" };
  assert.deepEqual(crossColumns(point, DATA), ["region"]);
  assert.deepEqual(crossColumns({}, DATA), []);
});
