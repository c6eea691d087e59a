import assert from "node:assert/strict";
import { test } from "node:test";
import { bytes, count, duration, plural, snippet } from "../src/lib/format.js";

test("bytes in powers of 1024", () => {
  assert.equal(bytes(512), "512 B");
  assert.equal(bytes(1024), "1.0 KB");
  assert.equal(bytes(1.5 * 1024 ** 3), "1.5 GB");
  assert.equal(bytes(2 * 1024 ** 6), "2048.0 PB");
  assert.equal(bytes(null), "");
  assert.equal(bytes("nope"), "");
});

test("durations as people read them", () => {
  assert.equal(duration(850), "850 ms");
  assert.equal(duration(3200), "3.20 s");
  assert.equal(duration(42_000), "42.0 s");
  assert.equal(duration(125_000), "2 min 05 s");
  assert.equal(duration(3_720_000), "1 h 02 min");
  assert.equal(duration(null), "");
});

test("counts and plurals in the locale", () => {
  assert.equal(count(12345), new Intl.NumberFormat().format(12345));
  assert.equal(plural(1, "row"), "1 row");
  assert.equal(plural(2, "row"), "2 rows");
  assert.equal(plural(2, "query", "queries"), "2 queries");
});

test("SQL snippets on one line, cut", () => {
  assert.equal(snippet("select\n  1,\n\t2  "), "select 1, 2");
  assert.equal(snippet("abcdef", 4), "abc…");
});

test("formatSI writes numbers short as the charts do", async () => {
  const { formatSI } = await import("../src/lib/format.js");
  assert.equal(formatSI(160000000), "160M");
  assert.equal(formatSI(2.5e9), "2.5B");
  assert.equal(formatSI(21166400.86), "21.2M");
  assert.equal(formatSI(1234.5), "1.23k");
  assert.equal(formatSI(12.345), "12.35");
  assert.equal(formatSI(0), "0");
  assert.equal(formatSI(0.01234), "0.0123");
  assert.equal(formatSI(null), "");
  assert.equal(formatSI("n/a"), "");
});

test("dateTime writes the date with the time", async () => {
  const { dateTime } = await import("../src/lib/format.js");
  assert.equal(dateTime(new Date(2026, 11, 6, 14, 3, 9).toISOString()), "6 Dec 2026, 14:03");
  assert.equal(dateTime("nonsense"), "");
});
