// The users page (admins): every account, its role and whether it is active; add local
// accounts, change roles, set passwords of local accounts, deactivate and reactivate (never
// yourself: the server refuses, and the page does not offer it); set groups (of password
// accounts: single sign-on brings its own) and time zones, which budgets follow.
import { get, patch, post } from "../lib/api.js";
import { field, openDialog } from "../components/dialog.js";
import { byId, h, replace } from "../lib/dom.js";

const ROLES = [
  ["viewer", "Viewer", "sees the connections"],
  ["editor", "Editor", "also runs SQL and saves queries"],
  ["admin", "Admin", "also manages connections and users, and reads the audit log"],
];
const ROLE_LABELS = Object.fromEntries(ROLES.map(([value, label]) => [value, label]));
const MIN_PASSWORD = 8;

const path = (user) => `/api/v1/users/${encodeURIComponent(user.id)}`;

function passwordFields() {
  return [
    field(
      "Password",
      h("input", {
        type: "password",
        name: "password",
        required: true,
        minlength: String(MIN_PASSWORD),
        autocomplete: "new-password",
      }),
      `${MIN_PASSWORD} characters or more.`,
    ),
    field(
      "Password again",
      h("input", { type: "password", name: "again", required: true, autocomplete: "new-password" }),
    ),
  ];
}

function checkPasswords(values) {
  if (values.password.length < MIN_PASSWORD)
    throw new Error(`A password has at least ${MIN_PASSWORD} characters.`);
  if (values.password !== values.again) throw new Error("The two passwords differ.");
}

function roleSelect(attrs, selected) {
  return h(
    "select",
    attrs,
    ROLES.map(([value, label]) => h("option", { value, selected: value === selected }, label)),
  );
}

export async function init(page) {
  const list = byId("user-list");
  const flash = byId("users-flash");
  const me = page.me;
  let users = [];

  function say(kind, message) {
    replace(
      flash,
      h("p", { class: `notice ${kind}`, role: kind === "success" ? "status" : "alert" }, message),
    );
  }

  async function refresh() {
    try {
      users = await get("/api/v1/users");
    } catch (error) {
      replace(list, h("p", { class: "error-message empty" }, `Could not list the users: ${error.message}`));
      return;
    }
    render();
  }

  function render() {
    replace(
      list,
      h(
        "table",
        { class: "list users-table", "data-testid": "users-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "User"),
            h("th", {}, "Display name"),
            h("th", {}, "Sign-in"),
            h("th", {}, "Role"),
            h("th", {}, "Groups · time zone"),
            h("th", {}, "Status"),
            h("th", {}, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        h("tbody", {}, users.map(row)),
      ),
    );
  }

  /** Change an account; the row says what went wrong, the list shows the answer. */
  async function change(user, changes, status, done) {
    replace(status);
    try {
      const changed = await patch(path(user), changes);
      users = users.map((u) => (u.id === changed.id ? changed : u));
      render();
      say("success", done(changed));
      return true;
    } catch (error) {
      replace(status, h("span", { class: "error-message", role: "alert" }, error.message));
      return false;
    }
  }

  function row(user) {
    const self = user.id === me;
    const status = h("div", { class: "row-status" });
    const role = roleSelect(
      {
        "aria-label": `Role of ${user.username}`,
        disabled: self,
        title: self ? "You cannot change your own role." : null,
        "data-testid": "user-role",
      },
      user.role,
    );
    role.addEventListener("change", async () => {
      const ok = await change(
        user,
        { role: role.value },
        status,
        (u) => `${u.username} is now ${ROLE_LABELS[u.role].toLowerCase()}.`,
      );
      if (!ok) role.value = user.role;
    });
    const toggleActive = () => {
      if (user.is_active) {
        const ask = `Deactivate ${user.username}? They are signed out at once and can no longer sign in.`;
        if (!confirm(ask)) return;
      }
      change(user, { is_active: !user.is_active }, status, (u) =>
        u.is_active ? `${u.username} is active again.` : `${u.username} is deactivated and signed out.`,
      );
    };
    return h(
      "tr",
      { dataset: { user: user.username }, class: user.is_active ? null : "inactive" },
      h(
        "td",
        { class: "name" },
        h("strong", {}, user.username),
        self && h("span", { class: "pill you" }, "you"),
        user.email && user.email !== user.username && h("div", { class: "muted email" }, user.email),
        status,
      ),
      h("td", {}, user.display_name || h("span", { class: "muted" }, "—")),
      h(
        "td",
        {},
        !user.has_password
          ? h(
              "span",
              { class: "pill sso", title: "Signs in with single sign-on; has no password here" },
              "Single sign-on",
            )
          : h("span", { class: "pill local", title: "Signs in with a username and password" }, "Password"),
      ),
      h("td", {}, role),
      h(
        "td",
        { class: "groups", "data-testid": "user-groups" },
        (user.groups || []).map((g) => h("span", { class: "pill group" }, g)),
        h("span", { class: "muted zone" }, user.timezone || "server's time zone"),
        h(
          "button",
          { type: "button", class: "link", title: "Groups and time zone", onclick: () => editGroups(user) },
          "Edit…",
        ),
      ),
      h(
        "td",
        {},
        h(
          "span",
          {
            class: `badge ${user.is_active ? "status-succeeded" : "status-inactive"}`,
            "data-testid": "user-status",
          },
          user.is_active ? "Active" : "Deactivated",
        ),
      ),
      h(
        "td",
        { class: "actions" },
        user.has_password &&
          !self &&
          h("button", { type: "button", onclick: () => setPassword(user) }, "Set password…"),
        !self &&
          h(
            "button",
            { type: "button", class: user.is_active ? "danger" : null, onclick: toggleActive },
            user.is_active ? "Deactivate" : "Reactivate",
          ),
      ),
    );
  }

  /** Groups (of a password account) and time zone: what cost rules and budgets go by. */
  function editGroups(user) {
    const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [];
    openDialog({
      title: `Groups and time zone of ${user.username}`,
      id: "user-groups-dialog",
      body: [
        field(
          "Groups",
          h("input", {
            name: "groups",
            value: (user.groups || []).join(", "),
            disabled: !user.has_password,
            autocomplete: "off",
            "data-testid": "user-groups-input",
          }),
          user.has_password
            ? "Separated by commas. Cost rules and budgets can be set for a group."
            : "From the identity provider at each sign-in.",
        ),
        field(
          "Time zone",
          h("input", {
            name: "timezone",
            value: user.timezone || "",
            list: "user-zones",
            placeholder: "the server's",
            autocomplete: "off",
            "data-testid": "user-timezone-input",
          }),
          "Where their days start: their budgets reset at its midnight.",
        ),
        h(
          "datalist",
          { id: "user-zones" },
          zones.map((z) => h("option", { value: z })),
        ),
      ],
      actions: [{ label: "Save", primary: true, testid: "user-groups-save" }],
      onSubmit: async (values) => {
        const changes = { timezone: values.timezone.trim() };
        if (user.has_password)
          changes.groups = values.groups
            .split(",")
            .map((g) => g.trim())
            .filter(Boolean);
        const changed = await patch(path(user), changes);
        users = users.map((u) => (u.id === changed.id ? changed : u));
        render();
        say("success", `Saved the groups and time zone of ${changed.username}.`);
      },
    });
  }

  function setPassword(user) {
    openDialog({
      title: `Set a password for ${user.username}`,
      id: "password-set-dialog",
      body: [
        h(
          "p",
          { class: "muted dialog-note" },
          `${user.username} is signed out everywhere and signs in with the new password.`,
        ),
        passwordFields(),
      ],
      actions: [{ label: "Set password", primary: true }],
      onSubmit: async (values) => {
        checkPasswords(values);
        await patch(path(user), { password: values.password });
        say("success", `New password set for ${user.username}.`);
      },
    });
  }

  function addUser() {
    openDialog({
      title: "Add a user",
      id: "add-user-dialog",
      wide: true,
      body: [
        field(
          "Username",
          h("input", {
            name: "username",
            required: true,
            maxlength: "150",
            autocomplete: "off",
            spellcheck: "false",
            pattern: "\\S+",
            title: "No spaces",
          }),
          "What they sign in with; no spaces.",
        ),
        field("Display name", h("input", { name: "display_name", maxlength: "200", autocomplete: "off" })),
        field(
          "Email",
          h("input", { name: "email", type: "email", maxlength: "320", autocomplete: "off" }),
          "Optional: who they are on warehouses that query as each user.",
        ),
        field(
          "Role",
          roleSelect({ name: "role" }, "viewer"),
          h(
            "span",
            { class: "role-help" },
            ROLES.map(([, label, what]) => h("span", {}, h("strong", {}, label), `: ${what}. `)),
          ),
        ),
        passwordFields(),
      ],
      actions: [{ label: "Add user", primary: true, testid: "add-user-submit" }],
      onSubmit: async (values) => {
        const username = values.username.trim();
        if (!username || /\s/.test(username)) throw new Error("A username has no spaces.");
        checkPasswords(values);
        const body = {
          username,
          display_name: values.display_name.trim(),
          role: values.role,
          password: values.password,
        };
        if (values.email.trim()) body.email = values.email.trim();
        const created = await post("/api/v1/users", body);
        users.push(created);
        users.sort((a, b) => a.username.localeCompare(b.username));
        render();
        say("success", `Added ${created.username} (${ROLE_LABELS[created.role].toLowerCase()}).`);
      },
    });
  }

  byId("add-user").addEventListener("click", addUser);
  await refresh();
}
