import assert from "node:assert/strict";
import { test } from "node:test";
import { isoDay, parseBytes, periodDays } from "../src/lib/spend.js";

test("sizes typed by people are read in powers of 1024", () => {
  assert.equal(parseBytes("500 GB"), 500 * 1024 ** 3);
  assert.equal(parseBytes("1.5tb"), 1.5 * 1024 ** 4);
  assert.equal(parseBytes(" 2 TiB "), 2 * 1024 ** 4);
  assert.equal(parseBytes("1024"), 1024);
  assert.equal(parseBytes(""), null);
  assert.throws(() => parseBytes("lots"), /"lots" is not a size/);
  assert.throws(() => parseBytes("5 XB"), /not a size/);
  assert.throws(() => parseBytes("0 GB"), /less than one byte/);
});

test("periods are whole days seen from today", () => {
  const today = new Date(2026, 11, 7, 15, 30); // 7 Dec 2026
  assert.deepEqual(periodDays("7d", today), { since: "2026-12-01", until: "2026-12-07" });
  assert.deepEqual(periodDays("30d", today), { since: "2026-11-08", until: "2026-12-07" });
  assert.deepEqual(periodDays("month", today), { since: "2026-12-01", until: "2026-12-07" });
  assert.deepEqual(periodDays("last-month", today), { since: "2026-11-01", until: "2026-11-30" });
  assert.deepEqual(periodDays("nonsense", today), periodDays("30d", today));
  assert.equal(isoDay(new Date(2027, 0, 1)), "2027-01-01");
});
