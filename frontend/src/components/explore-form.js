// The chart builder's settings: type, time axis, dimensions, metrics, filters, sort, limit and
// drawing options, as a render of the draft (lib/chart-draft.js) with lit-html: every edit
// changes the draft and renders again, and lit-html updates only what changed (so the focus
// stays where it is). Rows are added and removed with buttons; every control is labelled.
import { html, nothing, render } from "lit-html";
import {
  AGGREGATES,
  CHART_TYPES,
  GRAINS,
  LIST_OPS,
  NO_VALUE,
  OPERATORS,
  NUMERIC_AGGREGATES,
  columnOptions,
  emptyDraft,
  fitsAggregate,
  metricName,
  resultNames,
} from "../lib/chart-draft.js";
import { h, replace } from "../lib/dom.js";

const DIRECTIONS = [
  ["asc", "Ascending"],
  ["desc", "Descending"],
];

let ids = 0;

/**
 * The settings form in `root` (below the source picker `sourceNode`). onChange() runs after
 * every edit. Returns {draft(), setDraft(draft), setColumns(columns)}.
 */
export function createChartForm(root, { sourceNode, onChange }) {
  ids += 1;
  const prefix = `chart-form-${ids}`;
  const idOf = (label) => `${prefix}-${label.toLowerCase().replace(/\W+/g, "-")}`;
  let draft = emptyDraft();
  let columns = [];
  const body = h("div", { class: "chart-settings" });
  replace(root, h("section", { class: "form-section" }, h("h2", {}, "Data"), sourceNode), body);

  const draw = () => render(view(), body);

  /** After an edit: draw the new state, then tell the page. */
  function edited(change) {
    return (event) => {
      change(event.target);
      draw();
      onChange();
    };
  }

  // ----- controls

  const select = (attrs, options, value, onPick) =>
    html`<select
      id=${attrs.id ?? nothing}
      data-testid=${attrs.testid}
      aria-label=${attrs.label ?? nothing}
      ?disabled=${attrs.disabled ?? false}
      @change=${edited((node) => onPick(node.value))}
    >
      ${options.map(
        ([v, label, extra = {}]) =>
          html`<option
            .value=${v}
            .selected=${v === value}
            title=${extra.title ?? nothing}
            ?disabled=${extra.disabled ?? false}
          >
            ${label}
          </option>`,
      )}
    </select>`;

  const input = (attrs, value, onInput) =>
    html`<input
      id=${attrs.id ?? nothing}
      type=${attrs.type}
      class=${attrs.class ?? nothing}
      min=${attrs.min ?? nothing}
      max=${attrs.max ?? nothing}
      step=${attrs.step ?? nothing}
      placeholder=${attrs.placeholder ?? nothing}
      aria-label=${attrs.label ?? nothing}
      data-testid=${attrs.testid}
      .value=${value === null || value === undefined ? "" : String(value)}
      @input=${edited((node) => onInput(node.value))}
    />`;

  const removeButton = (label, testid, onRemove) =>
    html`<button
      type="button"
      class="icon small remove"
      title=${label}
      aria-label=${label}
      data-testid=${testid}
      @click=${edited(onRemove)}
    >
      ×
    </button>`;

  /** A button adding a row; the new row's first control takes the focus. */
  const addButton = (label, testid, onAdd) =>
    html`<button
      type="button"
      class="small add"
      data-testid=${testid}
      @click=${(event) => {
        edited(onAdd)(event);
        const rows = body.querySelectorAll(`[data-row="${testid}"]`);
        rows[rows.length - 1]?.querySelector("select, input")?.focus();
      }}
    >
      + ${label}
    </button>`;

  const section = (title, help, content) =>
    html`<section class="form-section" aria-labelledby=${idOf(title)}>
      <h2 id=${idOf(title)}>${title}</h2>
      ${help ? html`<p class="help">${help}</p>` : nothing} ${content}
    </section>`;

  const labelled = (label, control) =>
    html`<div class="field"><label for=${idOf(label)}>${label}</label>${control}</div>`;

  const checkbox = (label, testid, checked, onToggle) =>
    html`<div class="field checkbox">
      <label
        ><input
          type="checkbox"
          data-testid=${testid}
          .checked=${checked}
          @change=${edited((node) => onToggle(node.checked))}
        />${label}</label
      >
    </div>`;

  // ----- sections

  const typeSection = () =>
    section(
      "Chart",
      null,
      labelled(
        "Chart type",
        select({ id: idOf("Chart type"), testid: "chart-type" }, CHART_TYPES, draft.type, (v) => {
          draft.type = v;
        }),
      ),
    );

  const timeSection = () =>
    section(
      "Time",
      "A date or time column, truncated to a grain: it becomes the first dimension.",
      html`<div class="row-controls">
        ${select(
          { testid: "time-column", label: "Time column" },
          columnOptions(columns, draft.time?.column || "", { temporal: true, empty: "None" }),
          draft.time?.column || "",
          (v) => {
            draft.time = v ? { column: v, grain: draft.time?.grain || "day" } : null;
          },
        )}
        ${select(
          { testid: "time-grain", label: "Time grain", disabled: !draft.time },
          GRAINS.map((g) => [g, g]),
          draft.time?.grain || "day",
          (v) => {
            if (draft.time) draft.time.grain = v;
          },
        )}
      </div>`,
    );

  const dimensionsSection = () =>
    section(
      "Dimensions",
      "Group by these columns.",
      html`${draft.dimensions.map(
        (dim, i) =>
          html`<div class="row-controls" data-row="add-dimension" data-testid="dimension-row">
            ${select(
              { testid: "dimension", label: `Dimension ${i + 1}` },
              columnOptions(columns, dim),
              dim,
              (v) => {
                draft.dimensions[i] = v;
              },
            )}
            ${removeButton(`Remove dimension ${i + 1}`, "remove-dimension", () => draft.dimensions.splice(i, 1))}
          </div>`,
      )}
      ${addButton("Dimension", "add-dimension", () => draft.dimensions.push(""))}`,
    );

  function metricRow(metric, i) {
    const n = i + 1;
    const what =
      metric.agg === "custom"
        ? input(
            {
              type: "text",
              class: "mono",
              placeholder: "SUM(quantity * unit_price)",
              label: `Metric ${n} SQL expression`,
              testid: "metric-sql",
            },
            metric.sql,
            (v) => {
              metric.sql = v;
            },
          )
        : select(
            { testid: "metric-column", label: `Metric ${n} column` },
            columnOptions(
              columns,
              metric.column,
              metric.agg === "count"
                ? { empty: "(all rows)" }
                : { numeric: NUMERIC_AGGREGATES.has(metric.agg) },
            ),
            metric.column,
            (v) => {
              metric.column = v;
            },
          );
    return html`<div class="metric-row" data-row="add-metric" data-testid="metric-row">
      <div class="row-controls">
        ${select({ testid: "metric-agg", label: `Metric ${n} aggregate` }, AGGREGATES, metric.agg, (v) => {
          metric.agg = v;
          // A sum or average of text would fail: such a column is dropped, to be picked again.
          const column = columns.find((c) => c.name === metric.column);
          if (!fitsAggregate(v, column)) metric.column = "";
        })}
        ${what} ${removeButton(`Remove metric ${n}`, "remove-metric", () => draft.metrics.splice(i, 1))}
      </div>
      ${input(
        {
          type: "text",
          placeholder: `Label (default ${metricName({ ...metric, label: "" })})`,
          label: `Metric ${n} label`,
          testid: "metric-label",
        },
        metric.label,
        (v) => {
          metric.label = v;
        },
      )}
    </div>`;
  }

  const metricsSection = () =>
    section(
      "Metrics",
      null,
      html`${draft.metrics.map(metricRow)}
      ${addButton("Metric", "add-metric", () => draft.metrics.push({ agg: "sum", column: "", sql: "", label: "" }))}`,
    );

  function filterRow(filter, i) {
    const n = i + 1;
    const placeholder = LIST_OPS.has(filter.op) ? "a, b, c" : filter.op === "between" ? "open" : "value";
    const low = filter.op === "between" ? `Filter ${n} low value` : `Filter ${n} value`;
    const values = NO_VALUE.has(filter.op)
      ? nothing
      : html`<div class="row-controls">
          ${input({ type: "text", label: low, testid: "filter-value", placeholder }, filter.text, (v) => {
            filter.text = v;
          })}
          ${
            filter.op === "between"
              ? html`<span class="muted">and</span> ${input(
                  {
                    type: "text",
                    label: `Filter ${n} high value`,
                    testid: "filter-value-end",
                    placeholder,
                  },
                  filter.end,
                  (v) => {
                    filter.end = v;
                  },
                )}`
              : nothing
          }
        </div>`;
    return html`<div class="filter-row-controls" data-row="add-filter" data-testid="filter-row">
      <div class="row-controls">
        ${select(
          { testid: "filter-column", label: `Filter ${n} column` },
          columnOptions(columns, filter.column),
          filter.column,
          (v) => {
            filter.column = v;
          },
        )}
        ${select({ testid: "filter-op", label: `Filter ${n} operator` }, OPERATORS, filter.op, (v) => {
          filter.op = v;
        })}
        ${removeButton(`Remove filter ${n}`, "remove-filter", () => draft.filters.splice(i, 1))}
      </div>
      ${values}
    </div>`;
  }

  const filtersSection = () =>
    section(
      "Filters",
      null,
      html`${draft.filters.map(filterRow)}
      ${addButton("Filter", "add-filter", () => draft.filters.push({ column: "", op: "eq", text: "", end: "" }))}`,
    );

  function sortRow(sort, i, names) {
    const options = names.map((n) => [n, n]);
    if (sort.by && !names.includes(sort.by)) options.unshift([sort.by, `${sort.by} (not in the chart)`]);
    if (!sort.by) options.unshift(["", "Pick a column", { disabled: true }]);
    return html`<div class="row-controls" data-row="add-sort" data-testid="sort-row">
      ${select({ testid: "sort-by", label: `Sort ${i + 1} by` }, options, sort.by, (v) => {
        sort.by = v;
      })}
      ${select(
        { testid: "sort-direction", label: `Sort ${i + 1} direction` },
        DIRECTIONS,
        sort.desc ? "desc" : "asc",
        (v) => {
          sort.desc = v === "desc";
        },
      )}
      ${removeButton(`Remove sort ${i + 1}`, "remove-sort", () => draft.sort.splice(i, 1))}
    </div>`;
  }

  function sortSection() {
    const names = resultNames(draft, columns);
    return section(
      "Sort",
      null,
      html`${draft.sort.map((sort, i) => sortRow(sort, i, names))}
      ${addButton("Sort", "add-sort", () => draft.sort.push({ by: names[names.length - 1] || "", desc: true }))}`,
    );
  }

  const optionsSection = () =>
    section(
      "Options",
      null,
      html`${labelled(
        "Row limit",
        input(
          { id: idOf("Row limit"), type: "number", min: "1", max: "50000", step: "1", testid: "chart-limit" },
          draft.limit,
          (v) => {
            draft.limit = v;
          },
        ),
      )}
      ${labelled(
        "Title",
        input(
          { id: idOf("Title"), type: "text", testid: "option-title", placeholder: "None" },
          draft.options.title,
          (v) => {
            draft.options.title = v;
          },
        ),
      )}
      ${
        ["bar", "area"].includes(draft.type)
          ? checkbox("Stack the series", "option-stacked", draft.options.stacked, (v) => {
              draft.options.stacked = v;
            })
          : nothing
      }
      ${
        draft.type === "pie"
          ? checkbox("Donut (a hole in the middle)", "option-donut", draft.options.donut, (v) => {
              draft.options.donut = v;
            })
          : nothing
      }`,
    );

  const view = () => [
    typeSection(),
    timeSection(),
    dimensionsSection(),
    metricsSection(),
    filtersSection(),
    sortSection(),
    optionsSection(),
  ];

  draw();

  return {
    draft: () => draft,
    setDraft(next) {
      draft = next;
      draw();
    },
    /** The columns of the picked source (the pickers offer them). */
    setColumns(next) {
      columns = next;
      draw();
    },
  };
}
