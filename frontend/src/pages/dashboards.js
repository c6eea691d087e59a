// The dashboards page: yours and the ones shared with you (title, owner, your access), a new
// one (editors and admins), deleting your own (after a confirmation), exporting one as a JSON
// document and importing one (editors and admins).
import { del, get, post } from "../lib/api.js";
import { field, openDialog } from "../components/dialog.js";
import { byId, h, replace } from "../lib/dom.js";
import { fullTime, when } from "../lib/format.js";
import { favouriteStar } from "../components/favourite-star.js";
import { exportDashboard, openImport } from "../components/dashboard-transfer.js";

const ACCESS = { owner: "Owner", editor: "Can edit", viewer: "Can view" };

export async function init(page) {
  const list = byId("dashboard-list");
  const flash = byId("dashboards-flash");
  let dashboards = [];

  function say(kind, message) {
    replace(
      flash,
      h("p", { class: `notice ${kind}`, role: kind === "success" ? "status" : "alert" }, message),
    );
  }

  function openNew() {
    const title = h("input", {
      name: "title",
      required: true,
      maxlength: "200",
      autocomplete: "off",
      "data-testid": "new-dashboard-title",
    });
    openDialog({
      title: "New dashboard",
      testid: "new-dashboard-dialog",
      body: field("Title", title),
      actions: [{ label: "Create", value: "create", primary: true, testid: "new-dashboard-submit" }],
      onSubmit: async (values) => {
        if (!values.title.trim()) throw new Error("Give the dashboard a title.");
        const created = await post("/api/v1/dashboards", { title: values.title.trim() });
        location.assign(`/dashboards/${created.id}?edit=1`);
      },
    });
    title.focus();
  }

  function confirmDelete(dashboard) {
    openDialog({
      title: `Delete ${dashboard.title}?`,
      testid: "dashboard-delete-dialog",
      body: h("p", {}, "Everyone it is shared with loses it. Its charts stay. This cannot be undone."),
      actions: [{ label: "Delete", value: "delete", danger: true, testid: "dashboard-delete-confirm" }],
      onSubmit: async () => {
        await del(`/api/v1/dashboards/${dashboard.id}`);
        dashboards = dashboards.filter((d) => d.id !== dashboard.id);
        render();
        say("success", `Deleted ${dashboard.title}.`);
      },
    });
  }

  function row(dashboard) {
    return h(
      "tr",
      { "data-testid": "dashboard-row", "data-dashboard-id": String(dashboard.id) },
      h(
        "td",
        { class: "with-star" },
        favouriteStar("dashboard", dashboard.id, dashboard.favourite, {
          name: dashboard.title,
          onChange: (on) => (dashboard.favourite = on),
        }),
        h("a", { href: `/dashboards/${dashboard.id}`, "data-testid": "dashboard-link" }, dashboard.title),
      ),
      h("td", {}, dashboard.owner),
      h(
        "td",
        {},
        h("span", { class: `pill access-${dashboard.access}` }, ACCESS[dashboard.access] || dashboard.access),
      ),
      h(
        "td",
        {},
        h(
          "time",
          { datetime: dashboard.updated_at, title: fullTime(dashboard.updated_at) },
          when(dashboard.updated_at),
        ),
      ),
      h(
        "td",
        { class: "actions" },
        page.create &&
          h(
            "button",
            {
              type: "button",
              class: "small",
              title: "Download it with its charts as one JSON document",
              "aria-label": `Export ${dashboard.title}`,
              "data-testid": "dashboard-export",
              onclick: () =>
                exportDashboard(dashboard.id).then(
                  (name) => say("success", `Exported ${dashboard.title} as ${name}.`),
                  (error) => say("warning", `Could not export ${dashboard.title}: ${error.message}`),
                ),
            },
            "Export",
          ),
        dashboard.access === "owner" &&
          h(
            "button",
            {
              type: "button",
              class: "small danger",
              "aria-label": `Delete ${dashboard.title}`,
              "data-testid": "dashboard-delete",
              onclick: () => confirmDelete(dashboard),
            },
            "Delete",
          ),
      ),
    );
  }

  function render() {
    if (dashboards.length === 0) {
      replace(
        list,
        h(
          "p",
          { class: "empty" },
          page.create ? "No dashboards yet: create one." : "No dashboards are shared with you yet.",
        ),
      );
      return;
    }
    replace(
      list,
      h(
        "table",
        { class: "list", "data-testid": "dashboards-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Title"),
            h("th", {}, "Owner"),
            h("th", {}, "Your access"),
            h("th", {}, "Updated"),
            h("th", {}, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        h("tbody", {}, dashboards.map(row)),
      ),
    );
  }

  document.getElementById("new-dashboard")?.addEventListener("click", openNew);
  document.getElementById("import-dashboard")?.addEventListener("click", openImport);
  try {
    dashboards = (await get("/api/v1/dashboards")).dashboards;
  } catch (error) {
    replace(
      list,
      h("p", { class: "error-message empty" }, `Could not list the dashboards: ${error.message}`),
    );
    return;
  }
  render();
}
