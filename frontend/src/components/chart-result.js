// SQL Lab's "Chart this result": the SQL of the run shown is saved as a saved query (named in a
// dialog), and the chart builder opens with it as the source (`/charts/new?saved_query=<id>`).
import { post } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { field, openDialog } from "./dialog.js";

/** Ask for a name (`name` at first), save `run`'s SQL on its connection, open the builder. */
export function openChartResult(run, name) {
  openDialog({
    title: "Chart this result",
    id: "chart-result-dialog",
    body: field(
      "Name",
      h("input", { name: "name", required: true, maxlength: "200", autocomplete: "off", value: name }),
      "The query is saved under this name (you find it under Saved); the chart builder opens on it.",
    ),
    actions: [{ label: "Save and chart", primary: true, value: "chart", testid: "chart-result-save" }],
    onSubmit: async (values) => {
      const title = String(values.name || "").trim();
      if (!title) throw new Error("Give the query a name.");
      const query = await post("/api/v1/saved-queries", {
        name: title,
        sql: run.sql,
        connection: run.connection,
      });
      location.href = `/charts/new?saved_query=${encodeURIComponent(query.id)}`;
      return false; // the page is leaving
    },
  });
}
