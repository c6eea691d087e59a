import assert from "node:assert/strict";
import { test } from "node:test";
import { describePoint, pageInfo, pointValue } from "../src/components/drill-dialog.js";
import { parseDocument } from "../src/components/dashboard-transfer.js";
import { filenameOf } from "../src/lib/download.js";

test("a mark's values go to the API as JSON scalars", () => {
  assert.equal(pointValue(new Date("2024-03-01T00:00:00Z")), "2024-03-01T00:00:00.000Z");
  assert.equal(pointValue(new Date("nonsense")), null);
  assert.equal(pointValue(undefined), null);
  assert.equal(pointValue("web"), "web");
  assert.equal(pointValue(12.5), 12.5);
  assert.equal(pointValue({ a: 1 }), '{"a":1}');
});

test("the rows are described by the mark's values", () => {
  assert.equal(describePoint({ channel: "web", region: null }), "channel = web · region = NULL");
  assert.equal(describePoint({}), "every row");
});

test("the pager says which rows and whether the cap stopped the query", () => {
  const page = (offset, rows, total, truncated = false) => ({
    offset,
    rows: Array(rows).fill([]),
    total_rows: total,
    truncated,
  });
  assert.equal(pageInfo(page(0, 100, 1234)), "Rows 1–100 of 1,234");
  assert.equal(pageInfo(page(1200, 34, 1234)), "Rows 1,201–1,234 of 1,234");
  assert.match(pageInfo(page(0, 100, 100000, true)), /the row cap stopped the query/);
  assert.equal(pageInfo(page(0, 0, 0)), "No rows");
});

test("a download is named as the server says", () => {
  assert.equal(
    filenameOf('attachment; filename="Shop-2024-01-02.dashboard.json"'),
    "Shop-2024-01-02.dashboard.json",
  );
  assert.equal(
    filenameOf("attachment; filename=\"R-gion.csv\"; filename*=UTF-8''R%C3%A9gion.csv"),
    "Région.csv",
  );
  assert.equal(filenameOf(null), null);
});

test("an imported file must be a JSON object", () => {
  assert.deepEqual(parseDocument('{"kind": "belvedere.dashboard"}'), { kind: "belvedere.dashboard" });
  assert.throws(() => parseDocument("{ not json"), /not JSON/);
  assert.throws(() => parseDocument("[1, 2]"), /not an exported dashboard/);
  assert.throws(() => parseDocument("null"), /not an exported dashboard/);
});
