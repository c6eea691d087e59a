// The charts page: your charts (a picture of the type, name, favourite star, type, connection,
// last change with its date), found by a search on the name, a way to a new one, and deleting
// one (after a confirmation in a dialog).
import { del, get } from "../lib/api.js";
import { chartIcon, chartSketch } from "../components/chart-thumb.js";
import { openDialog } from "../components/dialog.js";
import { favouriteStar } from "../components/favourite-star.js";
import { byId, h, replace } from "../lib/dom.js";
import { CHART_TYPES } from "../lib/chart-draft.js";
import { dateTime, fullTime, plural } from "../lib/format.js";

const TYPE_LABELS = Object.fromEntries(CHART_TYPES);

export async function init() {
  const list = byId("chart-list");
  const flash = byId("charts-flash");
  let charts = [];
  let query = "";
  let sketches = {}; // chart id → the numbers of its picture (your own stored result)
  const search = h("input", {
    type: "search",
    placeholder: "Search charts by name",
    "aria-label": "Search charts by name",
    autocomplete: "off",
    "data-testid": "charts-search",
    oninput: () => {
      query = search.value;
      renderRows();
    },
  });
  const found = h("span", { class: "muted", "aria-live": "polite", "data-testid": "charts-found" });
  const tbody = h("tbody", {});

  function say(kind, message) {
    replace(
      flash,
      h("p", { class: `notice ${kind}`, role: kind === "success" ? "status" : "alert" }, message),
    );
  }

  function confirmDelete(chart) {
    openDialog({
      title: `Delete ${chart.name}?`,
      testid: "chart-delete-dialog",
      body: h("p", {}, "Dashboards that show it lose its tile. This cannot be undone."),
      actions: [{ label: "Delete", value: "delete", danger: true, testid: "chart-delete-confirm" }],
      onSubmit: async () => {
        await del(`/api/v1/charts/${chart.id}`);
        charts = charts.filter((c) => c.id !== chart.id);
        render();
        say("success", `Deleted ${chart.name}.`);
      },
    });
  }

  function row(chart) {
    const type = TYPE_LABELS[chart.spec?.type] || chart.spec?.type || "";
    return h(
      "tr",
      { "data-testid": "chart-row", "data-chart-id": String(chart.id) },
      h(
        "td",
        {},
        h(
          "div",
          { class: "chart-name-cell" },
          chartSketch(chart.spec?.type, sketches[chart.id], `${type} chart: the last result`) ||
            chartIcon(chart.spec?.type, `${type} chart`),
          h("a", { href: `/charts/${chart.id}`, "data-testid": "chart-link" }, chart.name),
          favouriteStar("chart", chart.id, chart.favourite, {
            name: chart.name,
            onChange: (starred) => {
              chart.favourite = starred;
            },
          }),
        ),
      ),
      h("td", {}, type),
      h("td", {}, chart.connection),
      h(
        "td",
        {},
        h(
          "time",
          { datetime: chart.updated_at, title: fullTime(chart.updated_at), "data-testid": "chart-updated" },
          dateTime(chart.updated_at),
        ),
      ),
      h(
        "td",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            "aria-label": `Delete ${chart.name}`,
            "data-testid": "chart-delete",
            onclick: () => confirmDelete(chart),
          },
          "Delete",
        ),
      ),
    );
  }

  /** The rows whose name has the search's words (any case, any order). */
  function renderRows() {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = charts.filter((c) => words.every((w) => c.name.toLowerCase().includes(w)));
    if (shown.length === 0) {
      replace(
        tbody,
        h(
          "tr",
          {},
          h("td", { colspan: "5", class: "empty", "data-testid": "charts-none" }, "No chart matches."),
        ),
      );
    } else replace(tbody, shown.map(row));
    found.textContent = words.length ? `${plural(shown.length, "chart")} of ${charts.length}` : "";
  }

  function render() {
    if (charts.length === 0) {
      replace(
        list,
        h("p", { class: "empty" }, "No charts yet. ", h("a", { href: "/charts/new" }, "Build one"), "."),
      );
      return;
    }
    replace(
      list,
      h("div", { class: "charts-search", role: "search" }, search, found),
      h(
        "table",
        { class: "list", "data-testid": "charts-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Name"),
            h("th", {}, "Type"),
            h("th", {}, "Connection"),
            h("th", {}, "Updated"),
            h("th", {}, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        tbody,
      ),
    );
    renderRows();
  }

  try {
    charts = (await get("/api/v1/charts")).charts;
  } catch (error) {
    replace(list, h("p", { class: "error-message empty" }, `Could not list your charts: ${error.message}`));
    return;
  }
  charts.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
  render();
  // The pictures come after the list: they read stored results, never run anything.
  try {
    sketches = (await get("/api/v1/charts/thumbnails")).thumbnails;
    if (Object.keys(sketches).length) renderRows();
  } catch {
    // The type icons stay.
  }
}
