// The Spend page's Rules tab (admins): caps and budgets per connection for roles, groups and
// users, and one-off raises, through the cost rules and raises API. Connections not billed by
// bytes say so: caps and budgets do not apply there.
import { del, get, patch, post } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { bytes, fullTime } from "../lib/format.js";
import { limitText, parseBytes } from "../lib/spend.js";
import { field, openDialog } from "./dialog.js";

const SCOPES = { role: "Role", group: "Group", user: "User" };
const LIMITS = [
  ["max_bytes_per_query", "Cap per query"],
  ["daily_bytes", "Daily budget"],
  ["monthly_bytes", "Monthly budget"],
];

function input(name, value = "", attrs = {}) {
  return h("input", { name, value, autocomplete: "off", "data-testid": `rule-${name}`, ...attrs });
}

/** The limits typed in a rule's form, in bytes (null: none). */
function limitsOf(values) {
  return Object.fromEntries(
    LIMITS.map(([name, label]) => {
      try {
        return [name, parseBytes(values[name])];
      } catch (error) {
        throw new Error(`${label}: ${error.message}`);
      }
    }),
  );
}

export function initRules(el) {
  let loaded = false;

  async function load() {
    replace(el, h("p", { class: "empty" }, "Loading…"));
    try {
      const [connections, rules, raises] = await Promise.all([
        get("/api/v1/cost-rules/connections"),
        get("/api/v1/cost-rules"),
        get("/api/v1/cost-raises"),
      ]);
      replace(
        el,
        connections.map((c) =>
          connectionCard(
            c,
            rules.filter((r) => r.connection === c.name),
          ),
        ),
        raisesCard(raises, connections),
      );
    } catch (error) {
      replace(el, h("p", { class: "error-message" }, error.message));
    }
  }

  function connectionCard(connection, rules) {
    const head = h("h2", {}, connection.name, " ", h("span", { class: "muted" }, connection.kind));
    const card = h(
      "section",
      { class: "card spend-section", "data-testid": `rules-${connection.name}` },
      head,
    );
    if (!connection.bills_bytes) {
      card.append(
        h(
          "p",
          { class: "muted", "data-testid": "not-billed" },
          connection.note || "not billed by bytes: caps and budgets do not apply",
        ),
      );
      return card;
    }
    if (connection.cap)
      card.append(
        h("p", { class: "muted" }, `The connection's own cap per query: ${bytes(connection.cap)}.`),
      );
    const add = h(
      "button",
      { type: "button", "data-testid": "add-rule", onclick: () => ruleDialog(connection) },
      "Add a rule",
    );
    card.append(
      rules.length
        ? rulesTable(rules)
        : h("p", { class: "empty" }, "No rule: only the connection's own cap applies."),
      h("div", { class: "actions" }, add),
    );
    return card;
  }

  function rulesTable(rules) {
    return h(
      "table",
      { class: "audit-table spend-table", "data-testid": "rules-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Who", ...LIMITS.map(([, label]) => label), "Changed", ""].map((t) => h("th", {}, t)),
        ),
      ),
      h(
        "tbody",
        {},
        rules.map((rule) =>
          h(
            "tr",
            { "data-testid": "rule-row" },
            h("td", {}, rule.who),
            LIMITS.map(([name]) => h("td", { class: "num" }, limitText(rule[name], bytes))),
            h("td", {}, `${fullTime(rule.updated_at)}${rule.updated_by ? ` by ${rule.updated_by}` : ""}`),
            h(
              "td",
              {},
              h(
                "button",
                { type: "button", class: "link", onclick: () => ruleDialog({ name: rule.connection }, rule) },
                "Edit",
              ),
              " ",
              h(
                "button",
                { type: "button", class: "link danger", onclick: () => removeRule(rule) },
                "Delete",
              ),
            ),
          ),
        ),
      ),
    );
  }

  function ruleDialog(connection, rule = null) {
    const scope = h(
      "select",
      { name: "scope", disabled: Boolean(rule), "data-testid": "rule-scope" },
      Object.entries(SCOPES).map(([key, label]) =>
        h("option", { value: key, selected: rule?.scope === key }, label),
      ),
    );
    const body = [
      field("Whom", scope),
      field(
        "Role, group or username",
        input("subject", rule?.subject || "", { required: true, disabled: Boolean(rule) }),
        "admin, editor or viewer; a group's name; a username.",
      ),
      ...LIMITS.map(([name, label]) =>
        field(
          label,
          input(name, rule?.[name] ? bytes(rule[name]) : "", { placeholder: "none" }),
          "e.g. 500 GB or 2 TB; empty: no limit.",
        ),
      ),
    ];
    openDialog({
      title: rule ? `Rule for ${rule.who} on ${connection.name}` : `A rule on ${connection.name}`,
      body,
      actions: [{ label: rule ? "Save" : "Add", primary: true, testid: "rule-save" }],
      testid: "rule-dialog",
      onSubmit: async (values) => {
        const limits = limitsOf(values);
        if (rule) await patch(`/api/v1/cost-rules/${rule.id}`, limits);
        else
          await post("/api/v1/cost-rules", {
            connection: connection.name,
            scope: values.scope,
            subject: values.subject.trim(),
            ...limits,
          });
        load();
      },
    });
  }

  async function removeRule(rule) {
    if (!confirm(`Delete the rule for ${rule.who} on ${rule.connection}?`)) return;
    try {
      await del(`/api/v1/cost-rules/${rule.id}`);
    } finally {
      load();
    }
  }

  function raisesCard(raises, connections) {
    const billed = connections.filter((c) => c.bills_bytes);
    const grant = h(
      "button",
      {
        type: "button",
        "data-testid": "grant-raise",
        disabled: !billed.length,
        onclick: () => raiseDialog(billed),
      },
      "Grant a one-off raise",
    );
    const rows = raises.map((r) =>
      h(
        "tr",
        { "data-testid": "raise-row" },
        h("td", {}, r.user || `#${r.user_id}`),
        h("td", {}, r.connection),
        h("td", { class: "num" }, bytes(r.max_bytes)),
        h("td", {}, r.reason),
        h("td", {}, `${r.state}${r.state === "usable" ? ` until ${fullTime(r.expires_at)}` : ""}`),
        h("td", {}, r.granted_by || ""),
        h(
          "td",
          {},
          r.state === "usable"
            ? h("button", { type: "button", class: "link danger", onclick: () => revoke(r) }, "Revoke")
            : "",
        ),
      ),
    );
    return h(
      "section",
      { class: "card spend-section", "data-testid": "raises" },
      h("h2", {}, "One-off raises"),
      h("p", { class: "muted" }, "Lets one user run one query above their cap or budget; audited."),
      rows.length
        ? h(
            "table",
            { class: "audit-table spend-table" },
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["User", "Connection", "Up to", "Reason", "State", "Granted by", ""].map((t) =>
                  h("th", {}, t),
                ),
              ),
            ),
            h("tbody", {}, rows),
          )
        : h("p", { class: "empty" }, "No raise granted."),
      h("div", { class: "actions" }, grant),
    );
  }

  function raiseDialog(connections) {
    const connection = h(
      "select",
      { name: "connection" },
      connections.map((c) => h("option", { value: c.name }, c.name)),
    );
    openDialog({
      title: "Grant a one-off raise",
      body: [
        field("User", input("user", "", { required: true })),
        field("Connection", connection),
        field("Up to", input("max_bytes", "", { required: true }), "What the one query may bill, e.g. 2 TB."),
        field("Reason", h("textarea", { name: "reason", required: true, rows: 2 })),
        field("Expires in (hours)", input("hours", "24", { type: "number", min: "1", max: "168" })),
      ],
      actions: [{ label: "Grant", primary: true, testid: "raise-save" }],
      onSubmit: async (values) => {
        await post("/api/v1/cost-raises", {
          user: values.user.trim(),
          connection: values.connection,
          max_bytes: parseBytes(values.max_bytes),
          reason: values.reason,
          expires_in_hours: Number(values.hours || 24),
        });
        load();
      },
    });
  }

  async function revoke(r) {
    if (!confirm(`Revoke the raise of ${r.user} on ${r.connection}?`)) return;
    try {
      await del(`/api/v1/cost-raises/${r.id}`);
    } finally {
      load();
    }
  }

  return {
    show() {
      if (!loaded) load();
      loaded = true;
    },
  };
}
