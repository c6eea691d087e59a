// The filter bar of a dashboard: a multi-select per value-list filter (its values come from
// the server), a period per date range (a preset such as "Last 7 days", or two dates: a start
// after the end is refused under the field), and a chip per cross-filter (a click on a mark,
// with × to clear it); Apply hands the values to the tiles. In edit mode each filter has a
// remove button. A render of its state with lit-html: the picks, the value lists, the filters
// and cross-filters shown; each change updates the state and renders again.
import { html, nothing, render } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { repeat } from "lit-html/directives/repeat.js";
import { get } from "../lib/api.js";
import {
  PRESETS,
  appliedFilters,
  filterKeys,
  pickedRange,
  rangeProblem,
  valueKey,
  valueText,
  valuesNote,
} from "../lib/filters.js";

let ids = 0;

/**
 * The bar in `form`. onApply(values) runs on Apply (unless a range is reversed), onClear() on
 * Clear, onUncross(crossFilter) on a chip's ×, onRemove(index) in edit mode. Returns
 * {render(filters, editing, saved), values(), picks(), setPicks(picks), setCross(cross)}.
 */
export function createFilterBar(form, { dashboardId, onApply, onClear, onUncross, onRemove }) {
  let filters = [];
  let cross = []; // the cross-filters: {tile, column, value}
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
    onClear();
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
    const pick = picks.get(filter.column);
    const range = pickedRange(pick);
    const problem = rangeProblem(pick);
    const errorId = `${selectId(filter.column)}-error`;
    const period = pick?.preset || (range.start || range.end ? "custom" : "");
    // A typed date makes the period custom, from the dates shown.
    const set = (end) => (event) => {
      picks.set(filter.column, {
        ...pickedRange(picks.get(filter.column)),
        preset: "custom",
        [end]: event.target.value,
      });
      draw();
    };
    const choose = (event) => {
      const preset = event.target.value;
      if (!preset) picks.delete(filter.column);
      else picks.set(filter.column, { ...pickedRange(picks.get(filter.column)), preset });
      draw();
    };
    const dateInput = (end, label) =>
      html`<input
        type="date"
        .value=${live(range[end] || "")}
        aria-label=${`${name} ${label}`}
        aria-invalid=${problem ? "true" : nothing}
        aria-describedby=${errorId}
        data-testid=${`filter-${end}`}
        @input=${set(end)}
        @change=${set(end)}
      />`;
    return [
      html`<span>${name}</span>`,
      html`<span class="date-range"
          ><select
            aria-label=${`${name}: period`}
            data-testid="filter-preset"
            @change=${choose}
          >
            <option value="" .selected=${live(period === "")}>Any time</option>
            ${PRESETS.map(
              ([id, label]) => html`<option value=${id} .selected=${live(period === id)}>${label}</option>`,
            )}</select
          >${dateInput("start", "from")}<span class="muted">to</span>${dateInput("end", "to")}</span
        ><small id=${errorId} class="help error-message" data-testid="filter-error" aria-live="polite"
          >${problem}</small
        >`,
    ];
  }

  function crossView() {
    if (cross.length === 0) return nothing;
    return html`<div class="filter cross-filters" data-testid="cross-filters"
      ><div class="filter-label">Cross-filters</div
      ><div class="chips">
        ${cross.map(
          (c) =>
            html`<span class="cross-chip" data-testid="cross-filter-chip" data-column=${c.column}
              >${c.column} = ${valueText(c.value)}<button
                type="button"
                class="icon small"
                title="Clear this cross-filter"
                aria-label=${`Clear the cross-filter ${c.column} = ${valueText(c.value)}`}
                data-testid="cross-filter-clear"
                @click=${() => onUncross(c)}
              >×</button></span
            >`,
        )}
      </div></div
    >`;
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
      )}${crossView()}<div class="filter actions"
          ><button type="submit" class="primary" data-testid="dashboard-apply-filters">Apply</button
          ><button type="button" data-testid="dashboard-clear-filters" @click=${clear}>Clear</button></div
        >`,
      form,
    );
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const reversed = filters.find((f) => f.kind === "date_range" && rangeProblem(picks.get(f.column)));
    if (reversed) {
      form
        .querySelector(`[data-column="${CSS.escape(reversed.column)}"] [data-testid="filter-start"]`)
        ?.focus();
      return; // its message is under the field; nothing runs
    }
    onApply(values());
  });

  function show() {
    form.hidden = filters.length === 0 && cross.length === 0;
    draw();
  }

  return {
    /** Show `filters`; those whose column is not in `saved` (added in edit mode) list no values. */
    render(shown, isEditing, saved = shown) {
      filters = shown;
      editing = isEditing;
      listed = new Set(saved.map((f) => f.column));
      for (const [column, entry] of lists) if (entry.error) lists.delete(column); // ask again
      for (const f of filters) if (f.kind !== "date_range" && listed.has(f.column)) load(f.column);
      show();
    },
    values,
    /** The picks (column → values, or {preset, start, end}), for the URL. */
    picks: () => new Map(picks),
    /** Show `next` picks (from the URL). */
    setPicks(next) {
      picks.clear();
      for (const [column, pick] of next) picks.set(column, pick);
      show();
    },
    /** Show the cross-filters as chips. */
    setCross(next) {
      cross = next;
      show();
    },
  };
}
