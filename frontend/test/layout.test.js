import assert from "node:assert/strict";
import { test } from "node:test";
import { readingOrder } from "../src/lib/layout.js";

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
