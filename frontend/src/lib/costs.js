// What queries and charts cost, in words: the footer of a chart or a tile, the lines of a
// dashboard's force-refresh confirmation, and the budget beside SQL Lab's estimate.
import { bytes, count } from "./format.js";

/**
 * The footer of a chart's data (ChartDataOut): "1.2 GB processed", "from cache: nothing
 * billed", "not billed by bytes"; empty when the warehouse said nothing.
 */
export function chartCost(data) {
  if (!data) return "";
  if (!data.bills_bytes) return "not billed by bytes";
  if (data.cached) return "from cache: nothing billed";
  if (data.bytes_processed === null || data.bytes_processed === undefined) return "";
  const processed = `${bytes(data.bytes_processed)} processed`;
  const billed = data.bytes_billed;
  if (billed === null || billed === undefined || billed === data.bytes_processed) return processed;
  return `${processed}, ${bytes(billed)} billed`;
}

/** The exact bytes behind a chart's footer, for its tooltip. */
export function costDetail(data) {
  if (!data?.bills_bytes || data.bytes_processed === null || data.bytes_processed === undefined) return "";
  const billed =
    data.bytes_billed === null || data.bytes_billed === undefined
      ? ""
      : `, ${count(data.bytes_billed)} billed`;
  const when = data.cached ? "When it ran, its query processed" : "Its query processed";
  return `${when} ${count(data.bytes_processed)} bytes${billed}.`;
}

/** An amount of money in `currency` (an ISO code): "$0.11"; cents of cents under one unit. */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return "";
  const digits = amount > 0 && amount < 1 ? 4 : 2;
  try {
    return new Intl.NumberFormat(undefined, {
      style: "currency",
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: digits,
    }).format(amount);
  } catch {
    return `${amount.toFixed(digits)} ${currency}`; // a code Intl does not know
  }
}

/**
 * What a dashboard's force refresh would do (DashboardEstimateOut), for its confirmation:
 * {headline, reasons, budgets: [text], tiles: [{name, connection, cost}]}.
 */
export function refreshSummary(estimate) {
  const price = estimate.cost === null ? "" : ` (about ${money(estimate.cost, estimate.currency)})`;
  const charts = estimate.tiles.length === 1 ? "its chart" : `its ${estimate.tiles.length} charts`;
  return {
    headline: `A force refresh runs ${charts} again in the warehouse, skipping the cache: it ${
      estimate.text || "bills nothing by bytes"
    }${price}.`,
    reasons: estimate.reasons,
    budgets: estimate.connections
      .filter((c) => c.budget_text)
      .map((c) => `${c.connection}: ${c.budget_text}`),
    tiles: estimate.tiles.map((t) => ({
      name: t.name,
      connection: t.connection,
      cost: t.error ? `no estimate: ${t.error}` : t.bills_bytes ? bytes(t.bytes) : "not billed by bytes",
    })),
  };
}

/** A cap in words from where it comes (EstimateOut's `cap_from`): "this connection's cap of 10.0 GB". */
export function capPhrase(cap, capFrom) {
  const size = bytes(cap);
  if (!capFrom || capFrom === "the connection") return `this connection's cap of ${size}`;
  if (capFrom === "your own cap") return `your cap of ${size}`;
  return `the cap of ${capFrom}, ${size}`;
}

/**
 * SQL Lab's estimate (EstimateOut) in words: {state, text, note}. `state` is "ok",
 * "over-cap", "over-budget" or "raise" (beyond a limit, within a one-off raise); `text` says
 * what the query would process and against what; `note` the budget left, beside it.
 */
export function estimateWords(found, what = "This query") {
  const processes = `${what} ${found.text}`;
  const raised =
    found.raise_bytes !== null && found.raise_bytes !== undefined && found.bytes <= found.raise_bytes;
  const beyond = found.over_cap
    ? `above ${capPhrase(found.cap, found.cap_from)}`
    : found.over_budget
      ? `more than the ${found.budget_text}`
      : null;
  if (beyond && raised)
    return {
      state: "raise",
      text: `${processes}, ${beyond}: within your one-off raise of ${bytes(found.raise_bytes)}`,
      note: "",
    };
  if (found.over_cap) return { state: "over-cap", text: `${processes}, ${beyond}`, note: "" };
  if (found.over_budget) return { state: "over-budget", text: `${processes}, ${beyond}`, note: "" };
  return { state: "ok", text: processes, note: found.budget_text || "" };
}
