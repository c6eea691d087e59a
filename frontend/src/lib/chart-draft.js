// A chart's draft: the spec as the chart builder edits it (filter values as typed), made from a
// saved spec and turned back into the spec the API takes. No DOM here.

export const CHART_TYPES = [
  ["bar", "Bar"],
  ["line", "Line"],
  ["area", "Area"],
  ["pie", "Pie"],
  ["scatter", "Scatter"],
  ["big_number", "Big number"],
  ["heatmap", "Heatmap"],
  ["table", "Table"],
  ["pivot", "Pivot table"],
];
export const AGGREGATES = [
  ["count", "Count"],
  ["count_distinct", "Count distinct"],
  ["sum", "Sum"],
  ["avg", "Average"],
  ["min", "Min"],
  ["max", "Max"],
  ["custom", "Custom SQL"],
];
export const GRAINS = ["hour", "day", "week", "month", "quarter", "year"];
export const OPERATORS = [
  ["eq", "="],
  ["ne", "≠"],
  ["in", "in"],
  ["not_in", "not in"],
  ["gt", ">"],
  ["gte", "≥"],
  ["lt", "<"],
  ["lte", "≤"],
  ["between", "between"],
  ["contains", "contains"],
  ["is_null", "is null"],
  ["not_null", "is not null"],
];
export const LIST_OPS = new Set(["in", "not_in"]);
export const NO_VALUE = new Set(["is_null", "not_null"]);
export const DEFAULT_LIMIT = 1000;

/** The result column's name of a metric (as the server names it, see Metric.name). */
export function metricName(metric) {
  if (metric.label) return metric.label;
  if (metric.agg === "custom") return "custom";
  return metric.column ? `${metric.agg}_${metric.column}` : metric.agg;
}

/** A new draft: a bar chart counting rows. */
export function emptyDraft() {
  return {
    type: "bar",
    dimensions: [],
    metrics: [{ agg: "count", column: "", sql: "", label: "" }],
    filters: [],
    time: null,
    sort: [],
    limit: DEFAULT_LIMIT,
    options: { stacked: false, donut: false, title: "" },
  };
}

const text = (value) => (value === null || value === undefined ? "" : String(value));

/** The draft of a saved spec (filter values become the text typed in their boxes). */
export function draftOf(spec) {
  return {
    type: spec.type,
    dimensions: [...(spec.dimensions || [])],
    metrics: (spec.metrics || []).map((m) => ({
      agg: m.agg,
      column: text(m.column),
      sql: text(m.sql),
      label: text(m.label),
    })),
    filters: (spec.filters || []).map((f) => {
      const value = f.value;
      if (f.op === "between")
        return { column: f.column, op: f.op, text: text(value?.[0]), end: text(value?.[1]) };
      if (Array.isArray(value))
        return { column: f.column, op: f.op, text: value.map(text).join(", "), end: "" };
      return { column: f.column, op: f.op, text: text(value), end: "" };
    }),
    time: spec.time ? { column: spec.time.column, grain: spec.time.grain || "day" } : null,
    sort: (spec.sort || []).map((s) => ({ by: s.by, desc: Boolean(s.desc) })),
    limit: spec.limit || DEFAULT_LIMIT,
    options: {
      stacked: Boolean(spec.options?.stacked),
      donut: Boolean(spec.options?.donut),
      title: text(spec.options?.title),
    },
  };
}

/** A typed value in a filter box, as JSON: a number for numeric columns, else the text. */
export function parseValue(raw, family) {
  const value = raw.trim();
  if (family === "numeric" && value !== "" && !Number.isNaN(Number(value))) return Number(value);
  if (family === "boolean" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return value;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * On a date or time column, say whether the values are dates or date-times, so that the
 * server compares them as such (a range ending on a day then takes in that whole day).
 */
export function valueType(family, value) {
  if (family !== "temporal") return {};
  const texts = (Array.isArray(value) ? value : [value]).filter((v) => typeof v === "string");
  if (!texts.length) return {};
  if (texts.every((v) => ISO_DATE.test(v))) return { value_type: "date" };
  if (texts.every((v) => ISO_DATE.test(v) || ISO_DATETIME.test(v))) return { value_type: "datetime" };
  return {};
}

/** The spec of a draft, for the API (`columns` give the filter values their types). */
export function specOf(draft, source, columns) {
  const familyOf = (name) => columns.find((c) => c.name === name)?.family || "other";
  const filters = draft.filters
    .filter((f) => f.column)
    .map((f) => {
      const family = familyOf(f.column);
      const typed = (filter) => ({ ...filter, ...valueType(family, filter.value) });
      if (NO_VALUE.has(f.op)) return { column: f.column, op: f.op, value: null };
      if (LIST_OPS.has(f.op)) {
        const values = f.text
          .split(",")
          .map((v) => v.trim())
          .filter((v) => v !== "");
        return typed({ column: f.column, op: f.op, value: values.map((v) => parseValue(v, family)) });
      }
      if (f.op === "between") {
        const end = (raw) => (raw.trim() === "" ? null : parseValue(raw, family));
        return typed({ column: f.column, op: f.op, value: [end(f.text), end(f.end)] });
      }
      return typed({ column: f.column, op: f.op, value: parseValue(f.text, family) });
    });
  return {
    type: draft.type,
    source,
    dimensions: draft.dimensions.filter(Boolean),
    metrics: draft.metrics.map((m) => ({
      agg: m.agg,
      column: m.agg === "custom" ? null : m.column || null,
      sql: m.agg === "custom" ? m.sql : null,
      label: m.label.trim() || null,
    })),
    filters,
    time: draft.time?.column ? { column: draft.time.column, grain: draft.time.grain } : null,
    sort: draft.sort.filter((s) => s.by).map((s) => ({ by: s.by, desc: s.desc })),
    limit: Number(draft.limit) || DEFAULT_LIMIT,
    options: {
      stacked: draft.options.stacked,
      donut: draft.options.donut,
      title: draft.options.title.trim() || null,
    },
  };
}

/** Aggregates of numbers: their pickers offer numeric columns only. */
export const NUMERIC_AGGREGATES = new Set(["sum", "avg"]);

/** Whether a metric's column fits its aggregate (a sum of text does not). */
export function fitsAggregate(agg, column) {
  return !NUMERIC_AGGREGATES.has(agg) || !column || column.family === "numeric";
}

/**
 * The options of a column picker: [value, label, {title?, disabled?}] (time: temporal only;
 * numeric: numbers only, as the server's `family` of each column says).
 */
export function columnOptions(columns, value, { temporal = false, numeric = false, empty = null } = {}) {
  let list = columns;
  if (temporal && columns.some((c) => c.family === "temporal"))
    list = columns.filter((c) => c.family === "temporal");
  if (numeric) list = columns.filter((c) => c.family === "numeric");
  const options = list.map((c) => [c.name, c.name, { title: c.type }]);
  const known = columns.find((c) => c.name === value);
  if (value && !list.some((c) => c.name === value))
    options.unshift(
      known ? [value, `${value} (not a number)`, { disabled: true }] : [value, `${value} (not in source)`],
    );
  if (empty !== null) options.unshift(["", empty]);
  else if (!value) options.unshift(["", "Pick a column", { disabled: true }]);
  return options;
}

/** The columns a sort may name: the chart's own, or for raw rows every source column. */
export function resultNames(draft, columns) {
  const chosen = [
    ...(draft.time?.column ? [draft.time.column] : []),
    ...draft.dimensions.filter(Boolean),
    ...draft.metrics.map(metricName),
  ];
  return chosen.length ? chosen : columns.map((c) => c.name);
}
