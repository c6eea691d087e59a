// What a dashboard's filter bar applies: the values picked in it, as the filters the chart data
// endpoint takes. No DOM: the bar (components/dashboard-filters.js) keeps the picks.

/** Picked values compare by their JSON (a value list may hold numbers, strings, null). */
export const valueKey = (value) => JSON.stringify(value);

/**
 * The filter values to apply, in the order of `filters` ({column, kind, label}). `picks` maps a
 * column to the values picked in its list, or to {start, end} for a date range ("" or absent:
 * open). `listed` holds the columns whose values the server lists (those of the saved
 * dashboard): a value list added since the last save applies nothing. Filters with nothing
 * picked are left out.
 */
export function appliedFilters(filters, picks, listed) {
  const out = [];
  for (const filter of filters) {
    const pick = picks.get(filter.column);
    if (filter.kind === "date_range") {
      if (pick?.start || pick?.end)
        out.push({ column: filter.column, start: pick.start || null, end: pick.end || null });
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
