// Export a dashboard with its charts as one JSON document (a download), and import one: the
// file becomes a new dashboard of yours, with new charts and saved queries, and you land on it.
import { post } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { download } from "../lib/download.js";
import { field, openDialog } from "./dialog.js";

/** Largest file read (the server refuses bodies beyond its own limit, 1 MiB by default). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Download dashboard `id` as `<title>-<date>.dashboard.json`; resolves to the file's name. */
export function exportDashboard(id) {
  return download(`/api/v1/dashboards/${encodeURIComponent(id)}/export`, {
    fallback: "dashboard.json",
  });
}

/** A document's text as JSON, or an error that says what is wrong with the file. */
export function parseDocument(text) {
  let document;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error("This file is not JSON: pick a file exported from a dashboard.");
  }
  if (!document || typeof document !== "object" || Array.isArray(document))
    throw new Error("This file is not an exported dashboard.");
  return document;
}

/** Pick an exported file and import it; on success the browser goes to the new dashboard. */
export function openImport() {
  const file = h("input", {
    type: "file",
    name: "file",
    accept: ".json,application/json",
    required: true,
    "data-testid": "import-dashboard-file",
  });
  openDialog({
    title: "Import a dashboard",
    testid: "import-dashboard-dialog",
    body: [
      field(
        "Exported file",
        file,
        "A dashboard exported as JSON. It becomes a new dashboard of yours, private, with new " +
          "charts; its connections must exist here and be ones you may use.",
      ),
    ],
    actions: [{ label: "Import", value: "import", primary: true, testid: "import-dashboard-submit" }],
    onSubmit: async () => {
      const chosen = file.files?.[0];
      if (!chosen) throw new Error("Pick a file to import.");
      if (chosen.size > MAX_FILE_BYTES) throw new Error("This file is too large to be a dashboard.");
      const created = await post("/api/v1/dashboards/import", parseDocument(await chosen.text()));
      location.assign(`/dashboards/${created.id}`);
      return false;
    },
  });
  file.focus();
}

/** The dashboard page's Export button for dashboard `id`; `onError(message)` tells a failure. */
export function exportButton(id, onError) {
  const button = h(
    "button",
    {
      type: "button",
      title: "Download it with its charts as one JSON document",
      "data-testid": "dashboard-export",
    },
    "Export",
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await exportDashboard(id);
    } catch (error) {
      onError(`Could not export the dashboard: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
