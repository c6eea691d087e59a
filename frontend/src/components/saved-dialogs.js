// The dialogs of saved queries: Save (changes to yours, a new one, or a copy of someone else's)
// and Edit details (name, description, sharing). They check the name and hand the fields to
// the caller, which talks to the server; a failure stays in the dialog.
import { h } from "../lib/dom.js";
import { field, openDialog } from "./dialog.js";

function detailFields(values) {
  return [
    field(
      "Name",
      h("input", {
        name: "name",
        required: true,
        maxlength: "200",
        autocomplete: "off",
        value: values.name || "",
      }),
    ),
    field(
      "Description",
      h("textarea", { name: "description", maxlength: "5000", rows: "3" }, values.description || ""),
      "Optional: what it answers, how to read it.",
    ),
    h(
      "div",
      { class: "field checkbox" },
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          name: "shared",
          checked: Boolean(values.shared),
          "aria-describedby": "saved-shared-help",
        }),
        " Share with everyone who runs SQL",
      ),
      h("small", { class: "help", id: "saved-shared-help" }, "Others can open and run it, not change it."),
    ),
  ];
}

/** The form's name, description and sharing, checked. */
function detailsOf(values) {
  const fields = {
    name: String(values.name || "").trim(),
    description: String(values.description || "").trim(),
    shared: values.shared === "on",
  };
  if (!fields.name) throw new Error("Give the query a name.");
  return fields;
}

/**
 * The Save dialog for the SQL in the editor on connection `on`, given the saved query open in
 * the editor (`current`, or null). onSave(fields, how): `how` is "update" (changes to yours)
 * or "new".
 */
export function openSaveDialog(current, on, onSave) {
  const mine = current?.mine ? current : null;
  const theirs = current && !current.mine ? current : null;
  const title = mine ? `Save “${mine.name}”` : theirs ? "Save a copy" : "Save query";
  const values = mine || (theirs ? { ...theirs, name: `${theirs.name} (copy)`, shared: false } : {});
  openDialog({
    title,
    id: "save-dialog",
    wide: true,
    body: [
      theirs &&
        h(
          "p",
          { class: "notice info" },
          `“${theirs.name}” belongs to someone else: save your own copy to keep your changes.`,
        ),
      detailFields(values),
      h(
        "p",
        { class: "muted dialog-note" },
        "Saves the SQL in the editor, on the connection ",
        h("strong", {}, on),
        ".",
      ),
    ],
    actions: mine
      ? [
          { label: "Save changes", primary: true, value: "update", testid: "save-changes" },
          { label: "Save as new", value: "new", testid: "save-as-new" },
        ]
      : [{ label: theirs ? "Save as new" : "Save", primary: true, value: "new", testid: "save-new" }],
    onSubmit: (form, how) => onSave(detailsOf(form), how === "update" && mine ? "update" : "new"),
  });
}

/** Edit a saved query's name, description and sharing; onSave(fields). */
export function openDetailsDialog(saved, onSave) {
  openDialog({
    title: `Edit “${saved.name}”`,
    id: "saved-details-dialog",
    body: detailFields(saved),
    actions: [{ label: "Save changes", primary: true, value: "update" }],
    onSubmit: (form) => onSave(detailsOf(form)),
  });
}
