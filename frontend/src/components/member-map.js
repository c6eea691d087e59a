// An option that maps members to service accounts (BigQuery's `impersonation_targets`):
// edited as rows "user alice@example.com → sa@…" or "group analysts → sa@…", never as raw
// JSON. Keys are written in BigQuery's member syntax, `user:<email>` and `group:<name>`.
import { h, replace } from "../lib/dom.js";

const KINDS = [
  ["user", "User", "alice@example.com"],
  ["group", "Group", "analysts"],
];

/** "user:alice@example.com" → ["user", "alice@example.com"] (no known prefix: a user). */
function parseMember(key) {
  const at = key.indexOf(":");
  const kind = key.slice(0, at);
  if (at > 0 && KINDS.some(([k]) => k === kind)) return [kind, key.slice(at + 1)];
  return ["user", key];
}

/**
 * The field of a member → service-account mapping: {name, kind: "map", input, node, value()}.
 * value() is the mapping as an object; it throws an Error saying what is wrong with a row.
 */
export function memberMapField(name, { id, label, help, value }) {
  const rows = h("div", { class: "map-rows", "data-testid": `${name}-rows` });
  const empty = h(
    "p",
    { class: "map-empty muted" },
    "No mappings yet: users match the template below, if any.",
  );
  const addButton = h(
    "button",
    { type: "button", class: "small", "data-testid": `${name}-add` },
    "Add a mapping",
  );

  function update() {
    empty.hidden = rows.children.length > 0;
  }

  function addRow(kind = "user", member = "", target = "", focus = false) {
    const kindSelect = h(
      "select",
      { class: "map-kind", "aria-label": "User or group" },
      KINDS.map(([value, text]) => h("option", { value, selected: value === kind }, text)),
    );
    const memberInput = h("input", {
      class: "map-member",
      "aria-label": "Email of the user, or name of the group",
      autocomplete: "off",
      spellcheck: "false",
      value: member,
    });
    const targetInput = h("input", {
      class: "map-target",
      "aria-label": "Service account to impersonate",
      placeholder: "sa-name@project.iam.gserviceaccount.com",
      autocomplete: "off",
      spellcheck: "false",
      value: target,
    });
    const placeholder = () => {
      memberInput.placeholder = KINDS.find(([k]) => k === kindSelect.value)[2];
    };
    kindSelect.addEventListener("change", placeholder);
    placeholder();
    const row = h(
      "div",
      { class: "map-row", "data-testid": "map-row" },
      kindSelect,
      memberInput,
      h("span", { class: "map-arrow", "aria-hidden": "true" }, "acts as →"),
      targetInput,
      h(
        "button",
        {
          type: "button",
          class: "icon small",
          title: "Remove this mapping",
          "aria-label": "Remove this mapping",
          onclick: () => {
            row.remove();
            update();
          },
        },
        "×",
      ),
    );
    row.read = () => ({
      kind: kindSelect.value,
      member: memberInput.value.trim(),
      target: targetInput.value.trim(),
    });
    rows.append(row);
    update();
    if (focus) memberInput.focus();
  }

  addButton.addEventListener("click", () => addRow("user", "", "", true));
  replace(rows);
  for (const [key, target] of Object.entries(value || {})) addRow(...parseMember(key), String(target));
  update();

  function read() {
    const mapping = {};
    for (const row of rows.children) {
      const { kind, member, target } = row.read();
      if (!member && !target) continue;
      const who = `${kind}:${member}`;
      if (!member) throw new Error(`${label}: the mapping to ${target} names no ${kind}.`);
      if (kind === "user" && !member.includes("@"))
        throw new Error(`${label}: a user is named by their email (“${member}” is not one).`);
      if (!target) throw new Error(`${label}: ${who} has no service account.`);
      if (!/^[^@\s]+@[^@\s]+$/.test(target))
        throw new Error(`${label}: “${target}” is not a service account's email.`);
      if (who in mapping) throw new Error(`${label}: ${who} is mapped twice.`);
      mapping[who] = target;
    }
    return mapping;
  }

  return {
    name,
    kind: "map",
    input: addButton,
    value: read,
    node: h(
      "div",
      { class: "field map-field", role: "group", "aria-labelledby": id, dataset: { option: name } },
      h("span", { class: "field-label", id }, label),
      help,
      rows,
      empty,
      h("div", {}, addButton),
    ),
  };
}
