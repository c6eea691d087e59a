// The owner's Share dialog of a dashboard: people (by username) and roles, each as viewer or
// editor. Saving replaces the whole list of shares.
import { request } from "../lib/api.js";
import { openDialog } from "./dialog.js";
import { h, replace } from "../lib/dom.js";

const ROLES = ["viewer", "editor", "admin"];
const ACCESS = [
  ["viewer", "Can view"],
  ["editor", "Can edit"],
];

function options(list, selected) {
  return list.map(([value, label]) => h("option", { value, selected: value === selected }, label));
}

/** Open the dialog for `dashboard`; onSaved(dashboard) gets the server's answer. */
export function openShareDialog(dashboard, { onSaved }) {
  const rows = (dashboard.shares || []).map((s) => ({
    kind: s.user ? "user" : "role",
    user: s.user || "",
    role: s.role || "viewer",
    access: s.access,
  }));
  const list = h("div", { class: "share-list", "data-testid": "share-list" });

  function row(share, i) {
    const who =
      share.kind === "user"
        ? h("input", {
            type: "text",
            value: share.user,
            placeholder: "username",
            autocomplete: "off",
            "aria-label": `Username of share ${i + 1}`,
            "data-testid": "share-user",
            oninput: (event) => (share.user = event.target.value),
          })
        : h(
            "select",
            {
              "aria-label": `Role of share ${i + 1}`,
              "data-testid": "share-role",
              onchange: (event) => (share.role = event.target.value),
            },
            options(
              ROLES.map((r) => [r, `Everyone who is ${r}`]),
              share.role,
            ),
          );
    return h(
      "div",
      { class: "share-row", "data-testid": "share-row" },
      h(
        "select",
        {
          "aria-label": `Share ${i + 1} with`,
          "data-testid": "share-kind",
          onchange: (event) => {
            share.kind = event.target.value;
            draw();
          },
        },
        options(
          [
            ["user", "Person"],
            ["role", "Role"],
          ],
          share.kind,
        ),
      ),
      who,
      h(
        "select",
        {
          "aria-label": `Access of share ${i + 1}`,
          "data-testid": "share-access",
          onchange: (event) => (share.access = event.target.value),
        },
        options(ACCESS, share.access),
      ),
      h(
        "button",
        {
          type: "button",
          class: "icon small danger",
          title: "Stop sharing",
          "aria-label": `Remove share ${i + 1}`,
          "data-testid": "share-remove",
          onclick: () => {
            rows.splice(i, 1);
            draw();
          },
        },
        "×",
      ),
    );
  }

  function draw() {
    replace(
      list,
      rows.length === 0 && h("p", { class: "muted" }, "Not shared: only you see it."),
      rows.map(row),
    );
  }

  const add = h(
    "button",
    {
      type: "button",
      class: "small",
      "data-testid": "share-add",
      onclick: () => {
        rows.push({ kind: "user", user: "", role: "viewer", access: "viewer" });
        draw();
        list.querySelector(".share-row:last-child input, .share-row:last-child select:nth-child(2)")?.focus();
      },
    },
    "+ Person or role",
  );
  draw();
  openDialog({
    title: `Share ${dashboard.title}`,
    testid: "share-dialog",
    wide: true,
    body: [list, add],
    actions: [{ label: "Save", value: "save", primary: true, testid: "share-save" }],
    onSubmit: async () => {
      const shares = rows.map((r) =>
        r.kind === "user"
          ? { user: r.user.trim(), role: null, access: r.access }
          : { user: null, role: r.role, access: r.access },
      );
      if (shares.some((s) => s.user === "")) throw new Error("Type the username of each person.");
      const answer = await request("PUT", `/api/v1/dashboards/${dashboard.id}/shares`, { shares });
      onSaved(answer);
    },
  });
}
