// What a dashboard's filter bar applies: the values picked in it, as the filters the chart data
// endpoint takes; date presets ("last 7 days") and the range each stands for today; the filter
// state in the URL's query string; cross-filters (a click on a mark) and the filters each tile
// runs with. No DOM: the bar (components/dashboard-filters.js) keeps the picks.
import {
  endOfMonth,
  endOfQuarter,
  endOfYear,
  format,
  isValid,
  parseISO,
  startOfMonth,
  startOfQuarter,
  startOfYear,
  subDays,
  subYears,
} from "date-fns";

/** The date presets, in the order the picker offers them; "custom" is two dates typed. */
export const PRESETS = [
  ["last_7_days", "Last 7 days"],
  ["last_30_days", "Last 30 days"],
  ["this_month", "This month"],
  ["this_quarter", "This quarter"],
  ["year_to_date", "Year to date"],
  ["last_year", "Last year"],
  ["custom", "Custom range"],
];
const PRESET_IDS = new Set(PRESETS.map(([id]) => id));
const day = (date) => format(date, "yyyy-MM-dd");

/** The dates {start, end} (inclusive, "YYYY-MM-DD") a preset stands for on `today`; null for custom. */
export function presetRange(preset, today = new Date()) {
  switch (preset) {
    case "last_7_days":
      return { start: day(subDays(today, 6)), end: day(today) };
    case "last_30_days":
      return { start: day(subDays(today, 29)), end: day(today) };
    case "this_month":
      return { start: day(startOfMonth(today)), end: day(endOfMonth(today)) };
    case "this_quarter":
      return { start: day(startOfQuarter(today)), end: day(endOfQuarter(today)) };
    case "year_to_date":
      return { start: day(startOfYear(today)), end: day(today) };
    case "last_year": {
      const last = subYears(today, 1);
      return { start: day(startOfYear(last)), end: day(endOfYear(last)) };
    }
    default:
      return null;
  }
}

/** The dates a date-range pick ({preset, start, end}) applies on `today` ("" or null: open). */
export function pickedRange(pick, today = new Date()) {
  const preset = pick?.preset && pick.preset !== "custom" ? presetRange(pick.preset, today) : null;
  return preset || { start: pick?.start || "", end: pick?.end || "" };
}

/** Why a date-range pick cannot apply (its start after its end), or "". */
export function rangeProblem(pick, today = new Date()) {
  const { start, end } = pickedRange(pick, today);
  return start && end && start > end ? "The start date is after the end date." : "";
}

/** Picked values compare by their JSON (a value list may hold numbers, strings, null). */
export const valueKey = (value) => JSON.stringify(value);

/**
 * The filter values to apply, in the order of `filters` ({column, kind, label}). `picks` maps a
 * column to the values picked in its list, or to {start, end} for a date range ("" or absent:
 * open). `listed` holds the columns whose values the server lists (those of the saved
 * dashboard): a value list added since the last save applies nothing. Filters with nothing
 * picked are left out.
 */
export function appliedFilters(filters, picks, listed, today = new Date()) {
  const out = [];
  for (const filter of filters) {
    const pick = picks.get(filter.column);
    if (filter.kind === "date_range") {
      const { start, end } = pickedRange(pick, today);
      if ((start || end) && !rangeProblem(pick, today))
        out.push({ column: filter.column, start: start || null, end: end || null });
    } else if (listed.has(filter.column) && Array.isArray(pick) && pick.length > 0) {
      out.push({ column: filter.column, values: [...pick] });
    }
  }
  return out;
}

/** The note under a value list: loading, why its values are missing, or none. */
export function valuesNote({ listed, values, error }) {
  if (!listed) return "Its values are listed once the dashboard is saved.";
  if (error) return `Could not list the values: ${error.message}`;
  if (values === null) return "Loading…";
  return values.length ? "" : "No values.";
}

/** Keys for a list of filters: their columns, made unique should a column come twice. */
export function filterKeys(filters) {
  const seen = new Set();
  return filters.map((filter, i) => {
    const key = seen.has(filter.column) ? `${filter.column}#${i}` : filter.column;
    seen.add(key);
    return key;
  });
}

// ----- the URL: `f.<column>` per filter, `x` per cross-filter

/** A value in the URL: a string as itself; anything else (and a string starting "*") as *JSON. */
export const urlValue = (value) =>
  typeof value === "string" && !value.startsWith("*") ? value : `*${JSON.stringify(value)}`;

const isScalar = (v) => v === null || ["string", "number", "boolean"].includes(typeof v);

/** The value of urlValue(value); undefined if it is not one. */
export function fromUrlValue(text) {
  if (!text.startsWith("*")) return text;
  try {
    const value = JSON.parse(text.slice(1));
    return isScalar(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isDay = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text) && isValid(parseISO(text));

/**
 * The query string (without "?") of the filter state: the picks of `filters` (a date range as
 * its preset's name, so "last 7 days" stays relative, or "start..end") and the cross-filters
 * ({tile, column, value}).
 */
export function stateQuery(filters, picks, cross = []) {
  const params = new URLSearchParams();
  for (const filter of filters) {
    const pick = picks.get(filter.column);
    const key = `f.${filter.column}`;
    if (filter.kind === "date_range") {
      if (pick?.preset && pick.preset !== "custom") params.append(key, pick.preset);
      else if (pick?.start || pick?.end) params.append(key, `${pick.start || ""}..${pick.end || ""}`);
    } else if (Array.isArray(pick)) {
      for (const value of pick) params.append(key, urlValue(value));
    }
  }
  for (const c of cross) params.append("x", JSON.stringify([c.tile, c.column, c.value]));
  return params.toString();
}

/** The filter state of a query string, for the dashboard's `filters`: {picks, cross}. Whatever does not parse is left out. */
export function parseState(search, filters) {
  const params = new URLSearchParams(search);
  const picks = new Map();
  for (const filter of filters) {
    const found = params.getAll(`f.${filter.column}`);
    if (found.length === 0) continue;
    if (filter.kind === "date_range") {
      const [text] = found;
      if (PRESET_IDS.has(text) && text !== "custom") {
        picks.set(filter.column, { preset: text, start: "", end: "" });
        continue;
      }
      const [start = "", end = "", ...rest] = text.split("..");
      if (rest.length === 0 && (start || end) && [start, end].every((d) => !d || isDay(d)))
        picks.set(filter.column, { preset: "custom", start, end });
    } else {
      const values = found.map(fromUrlValue).filter((v) => v !== undefined);
      if (values.length) picks.set(filter.column, values);
    }
  }
  const cross = [];
  for (const text of params.getAll("x")) {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3) continue;
    const [tile, column, value] = parsed;
    if (typeof tile === "string" && typeof column === "string" && column && isScalar(value))
      cross.push({ tile, column, value });
  }
  return { picks, cross: crossWith([], ...cross) };
}

/** Cross-filters with `added`: one per column, the last one on a column wins. */
export function crossWith(cross, ...added) {
  let out = [...cross];
  for (const c of added) out = [...out.filter((o) => o.column !== c.column), c];
  return out;
}

/** The filters a tile runs with: the bar's, and the cross-filters of the other tiles. */
export function tileFilters(applied, cross, tileId) {
  return [
    ...applied,
    ...cross.filter((c) => c.tile !== tileId).map((c) => ({ column: c.column, values: [c.value] })),
  ];
}

/** A value as the filter bar and the mark menu show it. */
export const valueText = (value) => (value === null ? "NULL" : String(value));
