// The question a dashboard's force refresh asks first when it would cost much (above the
// server's threshold, or above the viewer's budget left): the estimate, its cost, the budget
// left, and each chart's dry run. Refresh runs the charts; Cancel runs nothing.
import { h } from "../lib/dom.js";
import { refreshSummary } from "../lib/costs.js";
import { openDialog } from "./dialog.js";

/** Ask before a force refresh of `estimate` (DashboardEstimateOut); onConfirm() refreshes. */
export function confirmRefresh(estimate, onConfirm) {
  const summary = refreshSummary(estimate);
  const list = (items, testid) =>
    items.length
      ? h(
          "ul",
          { class: "refresh-list", "data-testid": testid },
          items.map((t) => h("li", {}, t)),
        )
      : null;
  const tiles = h(
    "table",
    { class: "refresh-tiles", "data-testid": "refresh-tiles" },
    h("thead", {}, h("tr", {}, h("th", {}, "Chart"), h("th", {}, "Connection"), h("th", {}, "Dry run"))),
    h(
      "tbody",
      {},
      summary.tiles.map((t) =>
        h("tr", {}, h("td", {}, t.name), h("td", {}, t.connection), h("td", {}, t.cost)),
      ),
    ),
  );
  openDialog({
    title: "Force refresh?",
    testid: "refresh-confirm",
    wide: true,
    body: [
      h("p", { "data-testid": "refresh-estimate" }, summary.headline),
      list(summary.reasons, "refresh-reasons"),
      list(summary.budgets, "refresh-budgets"),
      h("details", {}, h("summary", {}, "Each chart"), tiles),
    ],
    actions: [{ label: "Refresh", value: "refresh", primary: true, testid: "refresh-confirm-submit" }],
    onSubmit: () => onConfirm(),
  });
}

/** Ask before a force refresh whose estimate could not be made (`error` says why). */
export function confirmUnestimated(error, onConfirm) {
  openDialog({
    title: "Force refresh?",
    testid: "refresh-confirm",
    body: [
      h(
        "p",
        { "data-testid": "refresh-estimate" },
        `What a force refresh would process could not be estimated: ${error.message}`,
      ),
      h("p", { class: "help" }, "Your caps and budgets still hold each chart's query."),
    ],
    actions: [{ label: "Refresh", value: "refresh", primary: true, testid: "refresh-confirm-submit" }],
    onSubmit: () => onConfirm(),
  });
}
