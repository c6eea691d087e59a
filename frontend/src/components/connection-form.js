// A connection's form, generated from its kind's JSON Schema: each option a field, secrets as
// password inputs (a JSON key file can be picked instead of pasted), sizes in bytes with their
// human reading, plus the name, the kind and the per-connection deadline. Labels are written by
// hand (LABELS), help shows `code` as code, fields used only with another choice's value are
// hidden until it is picked, and emulator-only or rarely changed options sit under "Advanced".
import { h, replace } from "../lib/dom.js";
import { bytes } from "../lib/format.js";
import { memberMapField } from "./member-map.js";

/** Labels of enum values people meet (others show as they are). */
const ENUM_LABELS = {
  application_default: "Application Default Credentials of the server",
  service_account_key: "Service-account key",
  none: "None (emulators only)",
  service_account: "The connection's own credentials",
  user_oauth: "Each user's own Google account",
  impersonation: "A service account per user or group",
};

/**
 * The label of every option, written by hand (the schema's titles are made from the names:
 * "Api Endpoint", "Sslmode"). An option missing here falls back to its schema title.
 */
const LABELS = {
  // DuckDB
  path: "Database file",
  allow_file_access: "Let queries read the server's files",
  // PostgreSQL
  host: "Host",
  port: "Port",
  database: "Database",
  user: "User",
  password: "Password",
  sslmode: "SSL mode",
  connect_timeout: "Connect timeout (seconds)",
  // DuckDB and PostgreSQL
  read_only: "Read only",
  // BigQuery
  project: "Project",
  billing_project: "Billing project",
  default_dataset: "Default dataset",
  location: "Location",
  auth: "Authentication",
  service_account_key: "Service-account key",
  identity: "Identity of queries",
  oauth_client_id: "OAuth client ID",
  oauth_client_secret: "OAuth client secret",
  impersonation_targets: "Service accounts per user or group",
  impersonation_template: "Service account of everyone else",
  impersonation_domains: "Trusted e-mail domains for {user}",
  maximum_bytes_billed: "Maximum bytes billed per query",
  use_storage_api: "Use the Storage Read API",
  api_endpoint: "API endpoint",
  storage_api_endpoint: "Storage Read API endpoint",
  storage_api_insecure: "Storage Read API over plaintext gRPC",
};

/** Options few people change (emulator endpoints, transport): under "Advanced", closed unless set. */
const ADVANCED = new Set([
  "use_storage_api",
  "api_endpoint",
  "storage_api_endpoint",
  "storage_api_insecure",
  "connect_timeout",
]);

/** Help that replaces the schema's description (which shows a mapping as raw JSON). */
const HELP = {
  impersonation_targets:
    "Each user (by email) or group, and the service account their queries run as. A user's own " +
    "mapping wins over their groups'; others get the template below.",
};

/** What a choice's value means in practice, under the choice. */
const CHOICE_HELP = {
  identity: {
    service_account:
      "Everyone queries with the credentials above; the audit log still names each Belvedere user.",
    user_oauth:
      "Each user connects their Google account once, in SQL Lab; BigQuery sees them, with their own " +
      "access. The OAuth client below defaults to the single sign-on one.",
    impersonation:
      "The credentials above mint a short-lived token of the user's service account (they need the " +
      "Service Account Token Creator role on it). A user's own mapping wins over their groups'.",
  },
};

/**
 * Options that matter only for some values of a choice (besides those named like a value, such
 * as `service_account_key` under `auth`): dimmed otherwise.
 */
const USED_WHEN = {
  oauth_client_id: ["identity", ["user_oauth"]],
  oauth_client_secret: ["identity", ["user_oauth"]],
  impersonation_targets: ["identity", ["impersonation"]],
  impersonation_template: ["identity", ["impersonation"]],
  impersonation_domains: ["identity", ["impersonation"]],
};

/** Help text with its `code` spans as <code> elements (text nodes only: never markup). */
export function helpText(text) {
  return String(text)
    .split(/`([^`]*)`/)
    .map((part, i) => (i % 2 ? h("code", {}, part) : part))
    .filter((part) => part !== "");
}

/** A secret that is a JSON document (a service-account key): pasted, or read from its file. */
function keyFileField(input, help) {
  const status = h("small", { class: "help key-status", role: "status", "data-testid": "key-status" });
  const check = (text, source) => {
    if (!text.trim()) return replace(status);
    let key;
    try {
      key = JSON.parse(text);
    } catch {
      return replace(status, h("span", { class: "error-message" }, `${source} is not JSON.`));
    }
    if (key?.type !== "service_account") {
      return replace(
        status,
        h(
          "span",
          { class: "error-message" },
          `${source} is not a service-account key (its "type" is not "service_account").`,
        ),
      );
    }
    replace(status, `✓ ${source}: the key of ${key.client_email || "a service account"}.`);
  };
  const file = h("input", {
    type: "file",
    accept: ".json,application/json",
    class: "visually-hidden",
    tabindex: "-1",
    "aria-hidden": "true",
    "data-testid": `${input.name}-file`,
  });
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const reader = new FileReader();
    reader.onload = () => {
      input.value = String(reader.result);
      check(String(reader.result), chosen.name);
      file.value = ""; // the same file may be chosen again
    };
    reader.onerror = () =>
      replace(status, h("span", { class: "error-message" }, `Could not read ${chosen.name}.`));
    reader.readAsText(chosen);
  });
  input.addEventListener("input", () => check(input.value, "The pasted text"));
  if (!input.placeholder) input.placeholder = "Paste the key's JSON, or choose its file";
  const choose = h("button", { type: "button", onclick: () => file.click() }, "Choose key file…");
  return [h("div", { class: "input-with-button" }, input, choose, file), help, status];
}

/** Under a size in bytes, its human reading as you type ("= 10.0 GB"). */
function bytesHelper(input) {
  const reading = h("small", { class: "help bytes-reading", "data-testid": `${input.name}-reading` });
  const update = () => {
    const n = Number.parseInt(input.value, 10);
    replace(reading, Number.isFinite(n) && n > 0 ? `= ${bytes(n)}` : "");
  };
  input.addEventListener("input", update);
  update();
  return reading;
}

/** The schema of a property without its `null` alternative, and whether null was allowed. */
function unwrap(schema) {
  const options = schema.anyOf || schema.oneOf;
  if (!options) return { ...schema, nullable: false };
  const real = options.filter((s) => s.type !== "null");
  return {
    ...schema,
    ...(real[0] || {}),
    anyOf: undefined,
    oneOf: undefined,
    nullable: real.length < options.length,
  };
}

function fieldFor(name, raw, { required, secret, stored, value }) {
  const schema = unwrap(raw);
  const id = `option-${name}`;
  const label = LABELS[name] || schema.title || name;
  const about = HELP[name] || schema.description;
  const help = about && h("small", { class: "help" }, helpText(about));
  if (schema.type === "object") return memberMapField(name, { id, label, help, value });
  if (schema.type === "boolean") {
    const input = h("input", { type: "checkbox", id, name, checked: Boolean(value ?? schema.default) });
    return {
      name,
      kind: "boolean",
      input,
      node: h(
        "div",
        { class: "field checkbox", dataset: { option: name } },
        h("label", { for: id }, input, ` ${label}`),
        help,
      ),
    };
  }
  let input;
  if (schema.enum) {
    input = h(
      "select",
      { id, name },
      schema.enum.map((v) =>
        h("option", { value: v, selected: v === (value ?? schema.default) }, ENUM_LABELS[v] || String(v)),
      ),
    );
  } else if (schema.type === "integer" || schema.type === "number") {
    input = h("input", {
      type: "number",
      id,
      name,
      step: schema.type === "integer" ? "1" : "any",
      min: schema.minimum ?? schema.exclusiveMinimum,
      max: schema.maximum ?? schema.exclusiveMaximum,
      value: value ?? schema.default ?? "",
    });
  } else {
    const isSecret = secret || schema.format === "password" || schema.writeOnly;
    input = h("input", {
      type: isSecret ? "password" : "text",
      id,
      name,
      autocomplete: isSecret ? "new-password" : "off",
      value: isSecret ? "" : (value ?? schema.default ?? ""),
      placeholder: isSecret && stored ? "stored — leave blank to keep" : null,
    });
  }
  input.required = required && !(secret && stored);
  const kind = schema.type === "integer" ? "integer" : schema.type === "number" ? "number" : "string";
  const isKeyFile = (secret || schema.writeOnly) && /\bJSON\b/.test(schema.description || "");
  let body = [input, help];
  if (isKeyFile) body = keyFileField(input, help);
  else if (kind === "integer" && /bytes/.test(name)) body = [input, bytesHelper(input), help];
  return {
    name,
    kind,
    secret,
    input,
    node: h(
      "div",
      { class: "field", dataset: { option: name } },
      h("label", { for: id }, label, required && h("span", { class: "required", title: "required" }, " *")),
      body,
    ),
  };
}

/** The values of a choice a field is used with (none: it does not depend on this choice). */
function usedWith(field, choice, values) {
  if (values.includes(field.name)) return [field.name];
  const [on, when] = USED_WHEN[field.name] || [];
  return on === choice.name ? when : [];
}

/**
 * A field that matters only for some values of a choice (named like the value, as
 * `service_account_key` under `auth`, or listed in USED_WHEN) is shown with them only (marked
 * `inactive` and hidden otherwise); the choice's help (CHOICE_HELP) follows its value.
 */
function linkChoices(fields) {
  for (const choice of fields.filter((f) => f.input.tagName === "SELECT")) {
    const values = [...choice.input.options].map((o) => o.value);
    const dependents = fields
      .filter((f) => f !== choice)
      .map((f) => [f, usedWith(f, choice, values)])
      .filter(([, when]) => when.length);
    const helps = CHOICE_HELP[choice.name];
    if (!dependents.length && !helps) continue;
    const hint = helps && h("small", { class: "help choice-help", "data-testid": `${choice.name}-help` });
    if (hint) choice.node.append(hint);
    const update = () => {
      const value = choice.input.value;
      for (const [field, when] of dependents) {
        const active = when.includes(value);
        field.node.classList.toggle("inactive", !active);
        field.node.hidden = !active;
        const names = when.map((v) => `“${ENUM_LABELS[v] || v}”`).join(" or ");
        field.node.title = active ? "" : `Used when ${LABELS[choice.name] || choice.name} is ${names}.`;
      }
      if (hint) replace(hint, helps[value] || "");
    };
    choice.input.addEventListener("change", update);
    update();
  }
  return fields;
}

/** Whether an existing connection sets an option to something other than its default. */
function isSet(property, value) {
  if (value === undefined || value === null || value === "") return false;
  if (typeof value === "object" && Object.keys(value).length === 0) return false;
  return value !== unwrap(property).default;
}

/**
 * The option fields of a kind (with existing values when editing); each with `advanced` (it
 * belongs under "Advanced") and `set` (the connection sets it).
 */
export function optionFields(kind, existing = null) {
  const schema = kind.options_schema || {};
  const required = new Set(schema.required || []);
  const secrets = new Set(kind.secret_fields || []);
  return linkChoices(
    Object.entries(schema.properties || {}).map(([name, property]) => {
      const value = existing?.options?.[name];
      const stored = Boolean(existing?.secrets_set?.includes(name));
      const field = fieldFor(name, property, {
        required: required.has(name),
        secret: secrets.has(name),
        stored,
        value,
      });
      field.advanced = ADVANCED.has(name) && !required.has(name);
      field.set = stored || isSet(property, value);
      return field;
    }),
  );
}

/** The fields' nodes: the usual ones, then an "Advanced" disclosure, open if one of its is set. */
export function optionNodes(fields) {
  const advanced = fields.filter((f) => f.advanced);
  const usual = fields.filter((f) => !f.advanced).map((f) => f.node);
  if (!advanced.length) return usual;
  const details = h(
    "details",
    { class: "advanced-options", "data-testid": "advanced-options" },
    h("summary", {}, "Advanced"),
    advanced.map((f) => f.node),
  );
  details.open = advanced.some((f) => f.set);
  return [...usual, details];
}

/**
 * The options a set of fields holds: blanks are left out (the server's default applies, and a
 * blank secret keeps its stored value when editing). Throws an Error naming a field that holds
 * something invalid (a mapping without its service account).
 */
export function optionValues(fields) {
  const options = {};
  for (const field of fields) {
    const { input } = field;
    if (field.kind === "map") {
      options[field.name] = field.value(); // always sent: removing every row clears it
      continue;
    }
    if (field.kind === "boolean") {
      options[field.name] = input.checked;
      continue;
    }
    const text = input.value;
    if (text === "" || (!field.secret && text.trim() === "")) continue;
    if (field.kind === "integer") options[field.name] = Number.parseInt(text, 10);
    else if (field.kind === "number") options[field.name] = Number.parseFloat(text);
    else options[field.name] = field.secret ? text : text.trim();
  }
  return options;
}
