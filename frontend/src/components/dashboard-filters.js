// The filter bar of a dashboard: a multi-select per value-list filter (its values come from
// the server) and two date inputs per date range; Apply hands their values to the tiles. In
// edit mode each filter has a remove button. A render of its state with lit-html: the picks,
// the value lists and the filters shown; each change updates the state and renders again.
import { html, nothing, render } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { repeat } from "lit-html/directives/repeat.js";
import { get } from "../lib/api.js";
import { appliedFilters, filterKeys, valueKey, valuesNote } from "../lib/filters.js";

let ids = 0;

/**
 * The bar in `form`. onApply(values) runs on Apply and Clear; onRemove(index) in edit mode.
 * Returns {render(filters, editing, saved), values()}.
 */
export function createFilterBar(form, { dashboardId, onApply, onRemove }) {
  let filters = [];
  let editing = false;
  let listed = new Set(); // the columns whose values the server lists (the saved filters)
  const lists = new Map(); // column -> {values (null while loading), error}
  const picks = new Map(); // column -> the values picked, or {start, end} for a date range
  const selectIds = new Map(); // column -> the id of its select (its label points at it)

  function load(column) {
    if (lists.has(column)) return;
    const entry = { values: null, error: null };
    lists.set(column, entry);
    get(`/api/v1/dashboards/${dashboardId}/filter-values`, { column }).then(
      (answer) => {
        entry.values = answer.values;
        draw();
      },
      (error) => {
        entry.error = error;
        draw();
      },
    );
  }

  function selectId(column) {
    if (!selectIds.has(column)) selectIds.set(column, `dashboard-filter-${(ids += 1)}`);
    return selectIds.get(column);
  }

  const values = () => appliedFilters(filters, picks, listed);

  function clear() {
    picks.clear();
    draw();
    onApply([]);
  }

  function valueList(filter, name) {
    const id = selectId(filter.column);
    const known = listed.has(filter.column);
    const entry = (known && lists.get(filter.column)) || { values: null, error: null };
    const shown = entry.values || [];
    const chosen = new Set((picks.get(filter.column) || []).map(valueKey));
    const busy = known && entry.values === null && !entry.error;
    const pick = (event) => {
      picks.set(
        filter.column,
        [...event.target.selectedOptions].map((o) => shown[Number(o.value)]),
      );
      draw();
    };
    const note = valuesNote({ listed: known, ...entry });
    return [
      html`<label for=${id}>${name}</label>`,
      html`<select
          id=${id}
          multiple
          size="4"
          aria-label=${name}
          data-testid="filter-values"
          aria-busy=${busy ? "true" : nothing}
          @change=${pick}
          >${shown.map(
            (v, i) =>
              html`<option value=${String(i)} .selected=${live(chosen.has(valueKey(v)))}
                >${v === null ? "NULL" : String(v)}</option
              >`,
          )}</select
        ><small class=${entry.error ? "help error-message" : "help"} aria-live="polite">${note}</small>`,
    ];
  }

  function dateRange(filter, name) {
    const range = picks.get(filter.column) || {};
    const set = (end) => (event) => {
      picks.set(filter.column, { ...picks.get(filter.column), [end]: event.target.value });
      draw();
    };
    return [
      html`<span>${name}</span>`,
      html`<span class="date-range"
        ><input
          type="date"
          .value=${live(range.start || "")}
          aria-label=${`${name} from`}
          data-testid="filter-start"
          @input=${set("start")}
          @change=${set("start")}
        /><span class="muted">to</span
        ><input
          type="date"
          .value=${live(range.end || "")}
          aria-label=${`${name} to`}
          data-testid="filter-end"
          @input=${set("end")}
          @change=${set("end")}
      /></span>`,
    ];
  }

  function filterView(filter, index) {
    const name = filter.label || filter.column;
    const [label, control] = filter.kind === "date_range" ? dateRange(filter, name) : valueList(filter, name);
    const remove = editing
      ? html`<button
          type="button"
          class="icon small danger"
          title="Remove the filter"
          aria-label=${`Remove the filter ${name}`}
          data-testid="remove-dashboard-filter"
          @click=${() => onRemove(index)}
        >×</button>`
      : nothing;
    return html`<div class="filter" data-testid="dashboard-filter" data-column=${filter.column} data-kind=${filter.kind}
      ><div class="filter-label">${label}${remove}</div
      >${control}</div
    >`;
  }

  function draw() {
    const keys = filterKeys(filters);
    render(
      html`${repeat(
        filters,
        (_, i) => keys[i],
        (filter, i) => filterView(filter, i),
      )}<div class="filter actions"
          ><button type="submit" class="primary" data-testid="dashboard-apply-filters">Apply</button
          ><button type="button" data-testid="dashboard-clear-filters" @click=${clear}>Clear</button></div
        >`,
      form,
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply(values());
  });

  return {
    /** Show `filters`; those whose column is not in `saved` (added in edit mode) list no values. */
    render(shown, isEditing, saved = shown) {
      filters = shown;
      editing = isEditing;
      listed = new Set(saved.map((f) => f.column));
      for (const [column, entry] of lists) if (entry.error) lists.delete(column); // ask again
      for (const f of filters) if (f.kind !== "date_range" && listed.has(f.column)) load(f.column);
      form.hidden = filters.length === 0;
      draw();
    },
    values,
  };
}
