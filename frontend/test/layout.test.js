import assert from "node:assert/strict";
import { test } from "node:test";
import { readingOrder, tileSpec } from "../src/lib/layout.js";

test("tiles in reading order, without changing the list", () => {
  const tiles = [
    { id: "c", x: 6, y: 4 },
    { id: "b", x: 6, y: 0 },
    { id: "a", x: 0, y: 0 },
    { id: "d", x: 0, y: 4 },
  ];
  assert.deepEqual(
    readingOrder(tiles).map((t) => t.id),
    ["a", "b", "d", "c"],
  );
  assert.equal(tiles[0].id, "c");
});

test("a tile's spec: where gridstack has it, else where it was", () => {
  const chart = { id: "a", kind: "chart", chart_id: 7, x: 0, y: 0, w: 6, h: 4, extra: 1 };
  assert.deepEqual(tileSpec(chart), { id: "a", kind: "chart", chart_id: 7, x: 0, y: 0, w: 6, h: 4 });
  assert.deepEqual(tileSpec(chart, { x: 6, y: 2, w: 3 }), {
    id: "a",
    kind: "chart",
    chart_id: 7,
    x: 6,
    y: 2,
    w: 3,
    h: 4,
  });
  assert.deepEqual(tileSpec(chart, undefined), tileSpec(chart, null));
});

test("a text tile's spec keeps its markdown, empty when it has none", () => {
  const text = { id: "t", kind: "markdown", x: 1, y: 2, w: 4, h: 2 };
  assert.deepEqual(tileSpec(text, { x: 0 }), {
    id: "t",
    kind: "markdown",
    markdown: "",
    x: 0,
    y: 2,
    w: 4,
    h: 2,
  });
  assert.equal(tileSpec({ ...text, markdown: "# Hi" }).markdown, "# Hi");
});
