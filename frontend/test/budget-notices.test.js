import { test } from "node:test";
import assert from "node:assert/strict";
import { keptNotices, toShow } from "../src/components/budget-notices.js";

const notice = (id, level, spent, budget = 100) => ({ id, level, spent, budget });

test("used-up budgets come first, then the fullest", () => {
  const { shown } = toShow([notice(1, 80, 81), notice(2, 100, 100), notice(3, 80, 95)], []);
  assert.deepEqual(
    shown.map((n) => n.id),
    [2, 3, 1],
  );
});

test("dismissed alerts stay hidden, and at most three show with a count of the rest", () => {
  const all = [1, 2, 3, 4, 5, 6].map((id) => notice(id, 80, 80 + id));
  const { shown, more } = toShow(all, [6]);
  assert.deepEqual(
    shown.map((n) => n.id),
    [5, 4, 3],
  );
  assert.equal(more, 2);
});

test("an answer kept less than a minute is used, an older or broken one is not", () => {
  const kept = JSON.stringify({ at: 1_000_000, notices: [notice(1, 80, 81)] });
  assert.deepEqual(keptNotices(kept, 1_000_000 + 59_000), [notice(1, 80, 81)]);
  assert.equal(keptNotices(kept, 1_000_000 + 60_000), null);
  assert.equal(keptNotices(kept, 1_000_000 - 1), null); // a clock set back
  assert.equal(keptNotices(null, 1_000_000), null);
  assert.equal(keptNotices("{not json", 1_000_000), null);
  assert.equal(keptNotices(JSON.stringify({ at: 1_000_000 }), 1_000_000), null);
});
