// A connection's form, generated from its kind's JSON Schema: each option a field, secrets as
// password inputs, plus the name, the kind and the per-connection deadline.
import { h } from "./dom.js";

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
  const label = schema.title || name;
  const help = schema.description && h("small", { class: "help" }, schema.description);
  if (schema.type === "boolean") {
    const input = h("input", { type: "checkbox", id, name, checked: Boolean(value ?? schema.default) });
    return {
      name,
      kind: "boolean",
      input,
      node: h("div", { class: "field checkbox" }, h("label", { for: id }, input, ` ${label}`), help),
    };
  }
  let input;
  if (schema.enum) {
    input = h(
      "select",
      { id, name },
      schema.enum.map((v) => h("option", { value: v, selected: v === (value ?? schema.default) }, String(v))),
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
  return {
    name,
    kind,
    secret,
    input,
    node: h(
      "div",
      { class: "field" },
      h("label", { for: id }, label, required && h("span", { class: "required", title: "required" }, " *")),
      input,
      help,
    ),
  };
}

/** The option fields of a kind (with existing values when editing). */
export function optionFields(kind, existing = null) {
  const schema = kind.options_schema || {};
  const required = new Set(schema.required || []);
  const secrets = new Set(kind.secret_fields || []);
  return Object.entries(schema.properties || {}).map(([name, property]) =>
    fieldFor(name, property, {
      required: required.has(name),
      secret: secrets.has(name),
      stored: Boolean(existing?.secrets_set?.includes(name)),
      value: existing?.options?.[name],
    }),
  );
}

/**
 * The options a set of fields holds: blanks are left out (the server's default applies, and a
 * blank secret keeps its stored value when editing).
 */
export function optionValues(fields) {
  const options = {};
  for (const field of fields) {
    const { input } = field;
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
