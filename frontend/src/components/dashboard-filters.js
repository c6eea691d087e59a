// The filter bar of a dashboard: a multi-select per value-list filter (its values come from
// the server) and two date inputs per date range; Apply hands their values to the tiles. In
// edit mode each filter has a remove button.
import { get } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";

let ids = 0;

/**
 * The bar in `form`. onApply(values) runs on Apply and Clear; onRemove(index) in edit mode.
 * Returns {render(filters, editing, saved), values()}.
 */
export function createFilterBar(form, { dashboardId, onApply, onRemove }) {
  let controls = []; // {filter, read(), reset()}
  const options = new Map(); // column -> Promise of its values
  const kept = new Map(); // column -> the value shown before a redraw

  function valuesOf(column) {
    if (!options.has(column)) {
      const loading = get(`/api/v1/dashboards/${dashboardId}/filter-values`, { column }).then(
        (a) => a.values,
      );
      loading.catch(() => options.delete(column));
      options.set(column, loading);
    }
    return options.get(column);
  }

  function valueFilter(filter, unsaved) {
    ids += 1;
    const select = h("select", {
      id: `dashboard-filter-${ids}`,
      multiple: true,
      size: "4",
      "aria-label": filter.label || filter.column,
      "data-testid": "filter-values",
      "aria-busy": "true",
    });
    const note = h("small", { class: "help", "aria-live": "polite" }, "Loading…");
    let values = [];
    const before = kept.get(filter.column) || [];
    if (unsaved) {
      // The server lists the values of the saved dashboard's charts only.
      select.removeAttribute("aria-busy");
      note.textContent = "Its values are listed once the dashboard is saved.";
      return {
        node: h("label", { for: select.id }, filter.label || filter.column),
        control: [select, note],
        read: () => null,
        keep: () => {},
        reset: () => {},
      };
    }
    valuesOf(filter.column).then(
      (list) => {
        values = list;
        const chosen = new Set(before.map((v) => JSON.stringify(v)));
        replace(
          select,
          list.map((v, i) =>
            h(
              "option",
              { value: String(i), selected: chosen.has(JSON.stringify(v)) },
              v === null ? "NULL" : String(v),
            ),
          ),
        );
        select.removeAttribute("aria-busy");
        note.textContent = list.length ? "" : "No values.";
      },
      (error) => {
        select.removeAttribute("aria-busy");
        note.textContent = `Could not list the values: ${error.message}`;
        note.classList.add("error-message");
      },
    );
    const read = () => [...select.selectedOptions].map((o) => values[Number(o.value)]);
    return {
      node: h("label", { for: select.id }, filter.label || filter.column),
      control: [select, note],
      read: () => {
        const chosen = read();
        return chosen.length ? { column: filter.column, values: chosen } : null;
      },
      keep: () => kept.set(filter.column, read()),
      reset: () => [...select.options].forEach((o) => (o.selected = false)),
    };
  }

  function dateFilter(filter) {
    const name = filter.label || filter.column;
    const before = kept.get(filter.column) || {};
    const start = h("input", {
      type: "date",
      value: before.start || "",
      "aria-label": `${name} from`,
      "data-testid": "filter-start",
    });
    const end = h("input", {
      type: "date",
      value: before.end || "",
      "aria-label": `${name} to`,
      "data-testid": "filter-end",
    });
    return {
      node: h("span", {}, name),
      control: h("span", { class: "date-range" }, start, h("span", { class: "muted" }, "to"), end),
      read: () =>
        start.value || end.value
          ? { column: filter.column, start: start.value || null, end: end.value || null }
          : null,
      keep: () => kept.set(filter.column, { start: start.value, end: end.value }),
      reset: () => {
        start.value = "";
        end.value = "";
      },
    };
  }

  function values() {
    return controls.map((c) => c.read()).filter(Boolean);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply(values());
  });

  return {
    /** Draw `filters`; those whose column is not in `saved` (added in edit mode) list no values. */
    render(filters, editing, saved = filters) {
      controls.forEach((c) => c.keep());
      const known = new Set(saved.map((f) => f.column));
      controls = filters.map((f) =>
        f.kind === "date_range" ? dateFilter(f) : valueFilter(f, !known.has(f.column)),
      );
      form.hidden = filters.length === 0;
      replace(
        form,
        controls.map((c, i) =>
          h(
            "div",
            {
              class: "filter",
              "data-testid": "dashboard-filter",
              "data-column": filters[i].column,
              "data-kind": filters[i].kind,
            },
            h(
              "div",
              { class: "filter-label" },
              c.node,
              editing &&
                h(
                  "button",
                  {
                    type: "button",
                    class: "icon small danger",
                    title: "Remove the filter",
                    "aria-label": `Remove the filter ${filters[i].label || filters[i].column}`,
                    "data-testid": "remove-dashboard-filter",
                    onclick: () => onRemove(i),
                  },
                  "×",
                ),
            ),
            c.control,
          ),
        ),
        h(
          "div",
          { class: "filter actions" },
          h(
            "button",
            { type: "submit", class: "primary", "data-testid": "dashboard-apply-filters" },
            "Apply",
          ),
          h(
            "button",
            {
              type: "button",
              "data-testid": "dashboard-clear-filters",
              onclick: () => {
                controls.forEach((c) => c.reset());
                onApply([]);
              },
            },
            "Clear",
          ),
        ),
      );
    },
    values,
  };
}
