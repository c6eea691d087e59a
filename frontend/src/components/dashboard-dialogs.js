// The dialogs of a dashboard's edit mode: add a chart tile, add or edit a text tile, add a
// filter (its column suggested from the charts' sources; a date or time column suggests a date
// range). They build the dialog and hand back what was chosen; the page changes the dashboard.
import { post } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { field, openDialog } from "./dialog.js";

/** Pick one of your charts (`charts()` resolves to them); onAdd(chartId). */
export async function openAddChart({ charts, onAdd }) {
  const select = h(
    "select",
    { name: "chart", required: true, "data-testid": "add-tile-chart" },
    h("option", { value: "" }, "Loading…"),
  );
  const dialog = openDialog({
    title: "Add a chart",
    testid: "add-tile-dialog",
    body: [
      field("Chart", select),
      h(
        "p",
        { class: "help" },
        "Your charts. ",
        h("a", { href: "/charts/new", target: "_blank" }, "Build a new one"),
        ".",
      ),
    ],
    actions: [{ label: "Add", value: "add", primary: true, testid: "add-tile-submit" }],
    onSubmit: (values) => {
      const chartId = Number(values.chart);
      if (!chartId) throw new Error("Pick a chart.");
      onAdd(chartId);
    },
  });
  let mine;
  try {
    mine = await charts();
  } catch (error) {
    dialog.fail(`Could not list your charts: ${error.message}`);
    replace(select, h("option", { value: "" }, "No charts"));
    return;
  }
  replace(
    select,
    h(
      "option",
      { value: "", disabled: true, selected: true },
      mine.length ? "Pick a chart" : "You have no charts yet",
    ),
    mine.map((c) => h("option", { value: String(c.id) }, c.name)),
  );
  select.focus();
}

/** Write a text tile's markdown (`markdown` null: a new tile); onDone(markdown). */
export function openTextDialog(markdown, onDone) {
  const text = h("textarea", {
    name: "markdown",
    rows: "10",
    class: "mono",
    "data-testid": "tile-markdown-input",
  });
  text.value = markdown ?? "";
  const adding = markdown === null;
  openDialog({
    title: adding ? "Add text" : "Edit the text",
    testid: "markdown-dialog",
    wide: true,
    body: field("Text (Markdown)", text, "Headings, lists, links, emphasis, tables. No HTML."),
    actions: [{ label: adding ? "Add" : "Done", value: "ok", primary: true, testid: "add-tile-submit" }],
    onSubmit: (values) => onDone(values.markdown),
  });
  text.focus();
}

/**
 * The columns of `charts`' sources, name → family (suggestions for a new filter); a source that
 * cannot be read adds nothing.
 */
export async function sourceColumns(charts) {
  const found = new Map();
  const seen = new Set();
  const distinct = charts.filter((c) => {
    const key = JSON.stringify([c.connection, c.spec.source]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  await Promise.all(
    distinct.map((c) =>
      post("/api/v1/charts/columns", { connection: c.connection, source: c.spec.source }).then(
        (answer) => answer.columns.forEach((col) => found.set(col.name, col.family)),
        () => {},
      ),
    ),
  );
  return found;
}

/**
 * Add a filter: `listId` names its suggestions list, `columns()` resolves to name → family,
 * `taken(name)` says a filter on that column exists; onAdd({column, kind, label}).
 */
export function openAddFilter({ listId, columns, taken, onAdd }) {
  const list = h("datalist", { id: listId });
  const column = h("input", {
    name: "column",
    required: true,
    autocomplete: "off",
    list: list.id,
    "data-testid": "filter-column-input",
  });
  const kind = h(
    "select",
    { name: "kind", "data-testid": "filter-kind-input" },
    h("option", { value: "values" }, "A list of values"),
    h("option", { value: "date_range" }, "A date range"),
  );
  const label = h("input", { name: "label", autocomplete: "off", "data-testid": "filter-label-input" });
  let families = new Map();
  column.addEventListener("change", () => {
    if (families.get(column.value) === "temporal") kind.value = "date_range";
  });
  openDialog({
    title: "Add a filter",
    testid: "filter-dialog",
    body: [
      field("Column", column, "It filters every chart whose source has a column of this name."),
      list,
      field("Kind", kind),
      field("Label", label, "Empty: the column's name."),
    ],
    actions: [{ label: "Add", value: "add", primary: true, testid: "filter-add-submit" }],
    onSubmit: (values) => {
      const name = values.column.trim();
      if (!name) throw new Error("Name a column.");
      if (taken(name)) throw new Error(`There is a filter on ${name} already.`);
      onAdd({ column: name, kind: values.kind, label: values.label.trim() || name });
    },
  });
  column.focus();
  columns().then((found) => {
    families = found;
    replace(
      list,
      [...found.keys()].sort().map((name) => h("option", { value: name })),
    );
  });
}
