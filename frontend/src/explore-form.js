// The chart builder's settings: type, time axis, dimensions, metrics, filters, sort, limit and
// drawing options. It edits a draft (the spec with filter values as typed) and turns it into
// the spec the API takes. Rows are added and removed with buttons; every control is labelled.
import { h, replace } from "./dom.js";

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
const AGGREGATES = [
  ["count", "Count"],
  ["count_distinct", "Count distinct"],
  ["sum", "Sum"],
  ["avg", "Average"],
  ["min", "Min"],
  ["max", "Max"],
  ["custom", "Custom SQL"],
];
const GRAINS = ["hour", "day", "week", "month", "quarter", "year"];
const OPERATORS = [
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
const LIST_OPS = new Set(["in", "not_in"]);
const NO_VALUE = new Set(["is_null", "not_null"]);
const NUMERIC =
  /^(u?int\d*|halffloat|float\d*|double|decimal\d*|integer|bigint|smallint|tinyint|hugeint|numeric|real|number)\b/i;
const TEMPORAL = /date|time/i;
const BOOLEAN = /bool/i;
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
function parseValue(raw, type) {
  const value = raw.trim();
  if (NUMERIC.test(type) && value !== "" && !Number.isNaN(Number(value))) return Number(value);
  if (BOOLEAN.test(type) && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  return value;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * On a date or time column, say whether the values are dates or date-times, so that the
 * server compares them as such (a range ending on a day then takes in that whole day).
 */
function valueType(type, value) {
  if (!TEMPORAL.test(type)) return {};
  const texts = (Array.isArray(value) ? value : [value]).filter((v) => typeof v === "string");
  if (!texts.length) return {};
  if (texts.every((v) => ISO_DATE.test(v))) return { value_type: "date" };
  if (texts.every((v) => ISO_DATE.test(v) || ISO_DATETIME.test(v))) return { value_type: "datetime" };
  return {};
}

/** The spec of a draft, for the API (`columns` give the filter values their types). */
export function specOf(draft, source, columns) {
  const typeOf = (name) => columns.find((c) => c.name === name)?.type || "";
  const filters = draft.filters
    .filter((f) => f.column)
    .map((f) => {
      const type = typeOf(f.column);
      const typed = (filter) => ({ ...filter, ...valueType(type, filter.value) });
      if (NO_VALUE.has(f.op)) return { column: f.column, op: f.op, value: null };
      if (LIST_OPS.has(f.op)) {
        const values = f.text
          .split(",")
          .map((v) => v.trim())
          .filter((v) => v !== "");
        return typed({ column: f.column, op: f.op, value: values.map((v) => parseValue(v, type)) });
      }
      if (f.op === "between") {
        const end = (raw) => (raw.trim() === "" ? null : parseValue(raw, type));
        return typed({ column: f.column, op: f.op, value: [end(f.text), end(f.end)] });
      }
      return typed({ column: f.column, op: f.op, value: parseValue(f.text, type) });
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

let ids = 0;

/**
 * The settings form in `root` (below the source picker `sourceNode`). onChange() runs after
 * every edit. Returns {draft(), setDraft(draft), setColumns(columns)}.
 */
export function createChartForm(root, { sourceNode, onChange }) {
  ids += 1;
  const prefix = `chart-form-${ids}`;
  let draft = emptyDraft();
  let columns = [];
  const body = h("div", { class: "chart-settings" });
  replace(root, h("section", { class: "form-section" }, h("h2", {}, "Data"), sourceNode), body);

  /** Redraw, keeping the focus on the control of the same key (a row's select, a button). */
  function render() {
    const focused = document.activeElement?.dataset?.focus;
    replace(body, sections());
    if (focused) body.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }

  function changed(redraw = false) {
    if (redraw) render();
    onChange();
  }

  // ----- controls

  function select(attrs, options, value, onPick, redraw = true) {
    const node = h(
      "select",
      {
        ...attrs,
        onchange: () => {
          onPick(node.value);
          changed(redraw);
        },
      },
      options.map(([v, label, extra = {}]) =>
        h("option", { value: v, selected: v === value, ...extra }, label),
      ),
    );
    return node;
  }

  function columnOptions(value, { temporal = false, empty = null } = {}) {
    let list = columns;
    if (temporal && columns.some((c) => TEMPORAL.test(c.type)))
      list = columns.filter((c) => TEMPORAL.test(c.type));
    const options = list.map((c) => [c.name, c.name, { title: c.type }]);
    if (value && !list.some((c) => c.name === value)) options.unshift([value, `${value} (not in source)`]);
    if (empty !== null) options.unshift(["", empty]);
    else if (!value) options.unshift(["", "Pick a column", { disabled: true }]);
    return options;
  }

  function input(attrs, value, onInput) {
    const node = h("input", {
      ...attrs,
      value: text(value),
      oninput: () => {
        onInput(node.value);
        changed(false);
      },
    });
    return node;
  }

  function removeButton(label, testid, key, onRemove) {
    return h(
      "button",
      {
        type: "button",
        class: "icon small remove",
        title: label,
        "aria-label": label,
        "data-testid": testid,
        "data-focus": key,
        onclick: () => {
          onRemove();
          changed(true);
        },
      },
      "×",
    );
  }

  function addButton(label, testid, onAdd) {
    return h(
      "button",
      {
        type: "button",
        class: "small add",
        "data-testid": testid,
        "data-focus": testid,
        onclick: () => {
          onAdd();
          changed(true);
          const rows = body.querySelectorAll(`[data-row="${testid}"]`);
          rows[rows.length - 1]?.querySelector("select, input")?.focus();
        },
      },
      `+ ${label}`,
    );
  }

  function section(title, help, ...children) {
    const id = `${prefix}-${title.toLowerCase().replace(/\W+/g, "-")}`;
    return h(
      "section",
      { class: "form-section", "aria-labelledby": id },
      h("h2", { id }, title),
      help && h("p", { class: "help" }, help),
      children,
    );
  }

  function labelled(label, control) {
    control.id ||= `${prefix}-${label.toLowerCase().replace(/\W+/g, "-")}`;
    return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
  }

  // ----- sections

  function typeSection() {
    return section(
      "Chart",
      null,
      labelled(
        "Chart type",
        select({ "data-testid": "chart-type", "data-focus": "chart-type" }, CHART_TYPES, draft.type, (v) => {
          draft.type = v;
        }),
      ),
    );
  }

  function timeSection() {
    const column = select(
      { "data-testid": "time-column", "data-focus": "time-column", "aria-label": "Time column" },
      columnOptions(draft.time?.column || "", { temporal: true, empty: "None" }),
      draft.time?.column || "",
      (v) => {
        draft.time = v ? { column: v, grain: draft.time?.grain || "day" } : null;
      },
    );
    const grain = select(
      { "data-testid": "time-grain", "aria-label": "Time grain", disabled: !draft.time },
      GRAINS.map((g) => [g, g]),
      draft.time?.grain || "day",
      (v) => {
        if (draft.time) draft.time.grain = v;
      },
      false,
    );
    return section(
      "Time",
      "A date or time column, truncated to a grain: it becomes the first dimension.",
      h("div", { class: "row-controls" }, column, grain),
    );
  }

  function dimensionsSection() {
    return section(
      "Dimensions",
      "Group by these columns.",
      draft.dimensions.map((dim, i) =>
        h(
          "div",
          { class: "row-controls", "data-row": "add-dimension", "data-testid": "dimension-row" },
          select(
            {
              "data-testid": "dimension",
              "data-focus": `dimension-${i}`,
              "aria-label": `Dimension ${i + 1}`,
            },
            columnOptions(dim),
            dim,
            (v) => {
              draft.dimensions[i] = v;
            },
          ),
          removeButton(`Remove dimension ${i + 1}`, "remove-dimension", `remove-dimension-${i}`, () =>
            draft.dimensions.splice(i, 1),
          ),
        ),
      ),
      addButton("Dimension", "add-dimension", () => draft.dimensions.push("")),
    );
  }

  function metricRow(metric, i) {
    const n = i + 1;
    const custom = metric.agg === "custom";
    return h(
      "div",
      { class: "metric-row", "data-row": "add-metric", "data-testid": "metric-row" },
      h(
        "div",
        { class: "row-controls" },
        select(
          {
            "data-testid": "metric-agg",
            "data-focus": `metric-agg-${i}`,
            "aria-label": `Metric ${n} aggregate`,
          },
          AGGREGATES,
          metric.agg,
          (v) => {
            metric.agg = v;
          },
        ),
        custom
          ? input(
              {
                type: "text",
                class: "mono",
                placeholder: "SUM(quantity * unit_price)",
                "aria-label": `Metric ${n} SQL expression`,
                "data-testid": "metric-sql",
              },
              metric.sql,
              (v) => {
                metric.sql = v;
              },
            )
          : select(
              {
                "data-testid": "metric-column",
                "data-focus": `metric-column-${i}`,
                "aria-label": `Metric ${n} column`,
              },
              columnOptions(metric.column, metric.agg === "count" ? { empty: "(all rows)" } : {}),
              metric.column,
              (v) => {
                metric.column = v;
              },
            ),
        removeButton(`Remove metric ${n}`, "remove-metric", `remove-metric-${i}`, () =>
          draft.metrics.splice(i, 1),
        ),
      ),
      input(
        {
          type: "text",
          placeholder: `Label (default ${metricName({ ...metric, label: "" })})`,
          "aria-label": `Metric ${n} label`,
          "data-testid": "metric-label",
        },
        metric.label,
        (v) => {
          metric.label = v;
        },
      ),
    );
  }

  function metricsSection() {
    return section(
      "Metrics",
      null,
      draft.metrics.map(metricRow),
      addButton("Metric", "add-metric", () =>
        draft.metrics.push({ agg: "sum", column: "", sql: "", label: "" }),
      ),
    );
  }

  function filterRow(filter, i) {
    const n = i + 1;
    const valueAttrs = (label, testid) => ({
      type: "text",
      "aria-label": label,
      "data-testid": testid,
      placeholder: LIST_OPS.has(filter.op) ? "a, b, c" : filter.op === "between" ? "open" : "value",
    });
    return h(
      "div",
      { class: "filter-row-controls", "data-row": "add-filter", "data-testid": "filter-row" },
      h(
        "div",
        { class: "row-controls" },
        select(
          {
            "data-testid": "filter-column",
            "data-focus": `filter-column-${i}`,
            "aria-label": `Filter ${n} column`,
          },
          columnOptions(filter.column),
          filter.column,
          (v) => {
            filter.column = v;
          },
        ),
        select(
          {
            "data-testid": "filter-op",
            "data-focus": `filter-op-${i}`,
            "aria-label": `Filter ${n} operator`,
          },
          OPERATORS,
          filter.op,
          (v) => {
            filter.op = v;
          },
        ),
        removeButton(`Remove filter ${n}`, "remove-filter", `remove-filter-${i}`, () =>
          draft.filters.splice(i, 1),
        ),
      ),
      !NO_VALUE.has(filter.op) &&
        h(
          "div",
          { class: "row-controls" },
          input(
            valueAttrs(
              filter.op === "between" ? `Filter ${n} low value` : `Filter ${n} value`,
              "filter-value",
            ),
            filter.text,
            (v) => {
              filter.text = v;
            },
          ),
          filter.op === "between" && [
            h("span", { class: "muted" }, "and"),
            input(valueAttrs(`Filter ${n} high value`, "filter-value-end"), filter.end, (v) => {
              filter.end = v;
            }),
          ],
        ),
    );
  }

  function filtersSection() {
    return section(
      "Filters",
      null,
      draft.filters.map(filterRow),
      addButton("Filter", "add-filter", () =>
        draft.filters.push({ column: "", op: "eq", text: "", end: "" }),
      ),
    );
  }

  /** The columns a sort may name: the chart's own, or for raw rows every source column. */
  function resultNames() {
    const chosen = [
      ...(draft.time?.column ? [draft.time.column] : []),
      ...draft.dimensions.filter(Boolean),
      ...draft.metrics.map(metricName),
    ];
    return chosen.length ? chosen : columns.map((c) => c.name);
  }

  function sortSection() {
    const names = resultNames();
    return section(
      "Sort",
      null,
      draft.sort.map((sort, i) => {
        const options = names.map((n) => [n, n]);
        if (sort.by && !names.includes(sort.by)) options.unshift([sort.by, `${sort.by} (not in the chart)`]);
        if (!sort.by) options.unshift(["", "Pick a column", { disabled: true }]);
        return h(
          "div",
          { class: "row-controls", "data-row": "add-sort", "data-testid": "sort-row" },
          select(
            { "data-testid": "sort-by", "data-focus": `sort-by-${i}`, "aria-label": `Sort ${i + 1} by` },
            options,
            sort.by,
            (v) => {
              sort.by = v;
            },
            false,
          ),
          select(
            { "data-testid": "sort-direction", "aria-label": `Sort ${i + 1} direction` },
            [
              ["asc", "Ascending"],
              ["desc", "Descending"],
            ],
            sort.desc ? "desc" : "asc",
            (v) => {
              sort.desc = v === "desc";
            },
            false,
          ),
          removeButton(`Remove sort ${i + 1}`, "remove-sort", `remove-sort-${i}`, () =>
            draft.sort.splice(i, 1),
          ),
        );
      }),
      addButton("Sort", "add-sort", () => draft.sort.push({ by: names[names.length - 1] || "", desc: true })),
    );
  }

  function checkbox(label, testid, checked, onToggle) {
    const box = h("input", {
      type: "checkbox",
      checked,
      "data-testid": testid,
      onchange: () => {
        onToggle(box.checked);
        changed(false);
      },
    });
    return h("div", { class: "field checkbox" }, h("label", {}, box, label));
  }

  function optionsSection() {
    const limit = input(
      { type: "number", min: "1", max: "50000", step: "1", "data-testid": "chart-limit" },
      draft.limit,
      (v) => {
        draft.limit = v;
      },
    );
    const title = input(
      { type: "text", "data-testid": "option-title", placeholder: "None" },
      draft.options.title,
      (v) => {
        draft.options.title = v;
      },
    );
    return section(
      "Options",
      null,
      labelled("Row limit", limit),
      labelled("Title", title),
      ["bar", "area"].includes(draft.type) &&
        checkbox("Stack the series", "option-stacked", draft.options.stacked, (v) => {
          draft.options.stacked = v;
        }),
      draft.type === "pie" &&
        checkbox("Donut (a hole in the middle)", "option-donut", draft.options.donut, (v) => {
          draft.options.donut = v;
        }),
    );
  }

  function sections() {
    return [
      typeSection(),
      timeSection(),
      dimensionsSection(),
      metricsSection(),
      filtersSection(),
      sortSection(),
      optionsSection(),
    ];
  }

  render();

  return {
    draft: () => draft,
    setDraft(next) {
      draft = next;
      render();
    },
    /** The columns of the picked source (the pickers offer them). */
    setColumns(next) {
      columns = next;
      render();
    },
  };
}
