// The charts page: your charts (name, type, connection, last change), a way to a new one, and
// deleting one (after a confirmation in a dialog).
import { del, get } from "../lib/api.js";
import { openDialog } from "../components/dialog.js";
import { byId, h, replace } from "../lib/dom.js";
import { CHART_TYPES } from "../lib/chart-draft.js";
import { fullTime, when } from "../lib/format.js";

const TYPE_LABELS = Object.fromEntries(CHART_TYPES);

export async function init() {
  const list = byId("chart-list");
  const flash = byId("charts-flash");
  let charts = [];

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
    return h(
      "tr",
      { "data-testid": "chart-row", "data-chart-id": String(chart.id) },
      h("td", {}, h("a", { href: `/charts/${chart.id}`, "data-testid": "chart-link" }, chart.name)),
      h("td", {}, TYPE_LABELS[chart.spec?.type] || chart.spec?.type || ""),
      h("td", {}, chart.connection),
      h(
        "td",
        {},
        h("time", { datetime: chart.updated_at, title: fullTime(chart.updated_at) }, when(chart.updated_at)),
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
        h("tbody", {}, charts.map(row)),
      ),
    );
  }

  try {
    charts = (await get("/api/v1/charts")).charts;
  } catch (error) {
    replace(list, h("p", { class: "error-message empty" }, `Could not list your charts: ${error.message}`));
    return;
  }
  charts.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
  render();
}
