import assert from "node:assert/strict";
import { test } from "node:test";
import { formatNumber } from "../src/lib/format.js";
import { KEYWORD_BOOST, commonKeywords } from "../src/lib/keywords.js";
import { progressText, slotSeconds } from "../src/components/run-progress.js";

test("numbers in full with thousands separators, decimals kept", () => {
  assert.equal(formatNumber(21166400.86), "21,166,400.86");
  assert.equal(formatNumber(-1234567), "-1,234,567");
  assert.equal(formatNumber(999), "999");
  assert.equal(formatNumber(0.125), "0.125");
  assert.equal(formatNumber("123456789012345678901.5"), "123,456,789,012,345,678,901.5");
  assert.equal(formatNumber(Number.NaN), "NaN");
  assert.equal(formatNumber(1e21), "1e+21");
  assert.equal(formatNumber(null), "");
});

test("only common keywords are offered, ranked below the catalog", () => {
  const words = commonKeywords("duckdb");
  for (const word of ["SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "LIMIT", "ILIKE"]) {
    assert.ok(words.includes(word), word);
  }
  for (const noise of ["PASSWORD", "ACCORDING", "PARAMETER_ORDINAL_POSITION", "MUMPS"]) {
    assert.ok(!words.includes(noise), noise);
  }
  assert.ok(words.length < 80);
  assert.ok(commonKeywords("bigquery").includes("QUALIFY"));
  assert.ok(!commonKeywords(null).includes("QUALIFY"));
  assert.ok(KEYWORD_BOOST < 0);
});

test("a running query's progress as a line", () => {
  assert.equal(progressText({ bytes_processed: 1288490189, slot_ms: 3400 }), "1.2 GB processed · 3.4 slot-s");
  assert.equal(progressText({ bytes_processed: 2048, slot_ms: null }), "2.0 KB processed");
  assert.equal(progressText({ bytes_processed: null, slot_ms: 1234567 }), "1,235 slot-s");
  assert.equal(progressText(null), "");
  assert.equal(slotSeconds(0), "0.0 slot-s");
});
