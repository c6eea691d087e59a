import assert from "node:assert/strict";
import { test } from "node:test";
import { capPhrase, chartCost, costDetail, estimateWords, money, refreshSummary } from "../src/lib/costs.js";

const GB = 1024 ** 3;

test("a chart's footer says what its data cost", () => {
  const data = { bills_bytes: true, cached: false, bytes_processed: 1.2 * GB, bytes_billed: 1.2 * GB };
  assert.equal(chartCost(data), "1.2 GB processed");
  assert.equal(chartCost({ ...data, bytes_billed: 0 }), "1.2 GB processed, 0 B billed");
  assert.equal(chartCost({ ...data, cached: true }), "from cache: nothing billed");
  assert.equal(chartCost({ ...data, bills_bytes: false }), "not billed by bytes");
  assert.equal(chartCost({ ...data, bytes_processed: null }), "");
  assert.equal(
    costDetail(data),
    `Its query processed ${(1.2 * GB).toLocaleString()} bytes, ${(1.2 * GB).toLocaleString()} billed.`,
  );
  assert.equal(costDetail({ ...data, bills_bytes: false }), "");
});

test("money in the currency, cents of cents under one unit", () => {
  assert.match(money(0.1038, "USD"), /0\.1038/);
  assert.match(money(12.5, "EUR"), /12\.50/);
  assert.equal(money(null, "USD"), "");
  assert.equal(money(1.5, "nope"), "1.50 nope");
});

test("a force refresh's confirmation", () => {
  const estimate = {
    text: "will process 17.0 GB",
    cost: 0.1038,
    currency: "USD",
    reasons: ["It would process 17.0 GB, more than 10.0 GB."],
    connections: [
      { connection: "bq", bytes: 17 * GB, budget_text: "2.0 GB left of your daily budget of 2.0 GB" },
      { connection: "bq2", bytes: 0, budget_text: null },
    ],
    tiles: [
      { name: "Sales", connection: "bq", bills_bytes: true, bytes: 17 * GB, error: null },
      { name: "Local", connection: "demo", bills_bytes: false, bytes: null, error: null },
      { name: "Broken", connection: "bq", bills_bytes: true, bytes: null, error: "No table x." },
    ],
  };
  const summary = refreshSummary(estimate);
  assert.match(
    summary.headline,
    /^A force refresh runs its 3 charts again in the warehouse, skipping the cache: it will process 17\.0 GB \(about .*0\.1038\)\.$/,
  );
  assert.deepEqual(summary.reasons, ["It would process 17.0 GB, more than 10.0 GB."]);
  assert.deepEqual(summary.budgets, ["bq: 2.0 GB left of your daily budget of 2.0 GB"]);
  assert.deepEqual(
    summary.tiles.map((t) => t.cost),
    ["17.0 GB", "not billed by bytes", "no estimate: No table x."],
  );
});

test("SQL Lab's estimate with the budget left beside it", () => {
  const base = {
    text: "will process 1.2 GB",
    bytes: 1.2 * GB,
    cap: 10 * GB,
    cap_from: "the connection",
    over_cap: false,
    over_budget: false,
    budget_text: "2.1 TB left of your daily budget of 3.0 TB, resets at 00:00 on 8 Dec (UTC)",
    raise_bytes: null,
  };
  assert.deepEqual(estimateWords(base), {
    state: "ok",
    text: "This query will process 1.2 GB",
    note: "2.1 TB left of your daily budget of 3.0 TB, resets at 00:00 on 8 Dec (UTC)",
  });
  const over = { ...base, text: "will process 3.0 TB", bytes: 3 * 1024 * GB, over_budget: true };
  assert.deepEqual(estimateWords(over, "This selection"), {
    state: "over-budget",
    text: "This selection will process 3.0 TB, more than the 2.1 TB left of your daily budget of 3.0 TB, resets at 00:00 on 8 Dec (UTC)",
    note: "",
  });
  const capped = {
    ...base,
    text: "will process 54.0 GB",
    bytes: 54 * GB,
    over_cap: true,
    cap_from: "group analysts",
  };
  assert.equal(
    estimateWords(capped).text,
    "This query will process 54.0 GB, above the cap of group analysts, 10.0 GB",
  );
  assert.equal(estimateWords({ ...capped, raise_bytes: 60 * GB }).state, "raise");
  assert.equal(estimateWords({ ...capped, raise_bytes: 50 * GB }).state, "over-cap");
  assert.equal(capPhrase(GB, null), "this connection's cap of 1.0 GB");
  assert.equal(capPhrase(GB, "your own cap"), "your cap of 1.0 GB");
});
