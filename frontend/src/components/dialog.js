// A modal form in a <dialog>: a title, fields, an error line and buttons. Escape or Cancel
// closes it; the dialog leaves the page when it closes and focus goes back where it was.
import { h } from "../lib/dom.js";

let fields = 0; // numbers the ids of fields and titles

/**
 * A labelled field: its label, the control, and help under it (the control's description, so
 * that the help is not part of its name).
 */
export function field(label, control, help = null) {
  fields += 1;
  if (!control.id) control.id = `field-${fields}`;
  const note = help && h("small", { class: "help", id: `${control.id}-help` }, help);
  if (note) control.setAttribute("aria-describedby", note.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, note);
}

/**
 * Open a dialog. `body` holds the fields; `actions` the buttons besides Cancel, as {label,
 * value, primary, danger, testid}: the first one answers Enter. onSubmit(values, how) runs
 * when the form is sent, with the form's values and the `value` of the button that sent it; it
 * may throw (or reject) to show an error and keep the dialog open, or resolve to `false` to keep
 * it open without one. `cancel` is the label of the button that closes it. Returns {dialog, form,
 * fail(message), close()}.
 */
export function openDialog({
  title,
  id = null,
  body = [],
  actions = [],
  onSubmit,
  wide = false,
  cancel = "Cancel",
  testid = null,
}) {
  fields += 1;
  const titleId = `dialog-title-${fields}`;
  const error = h("p", { class: "error-message form-error", role: "alert", hidden: true });
  const opener = document.activeElement;
  const buttons = actions.map((action) =>
    h(
      "button",
      {
        type: "submit",
        class: action.primary ? "primary" : action.danger ? "danger" : null,
        value: action.value || "",
        "data-testid": action.testid || null,
      },
      action.label,
    ),
  );
  const form = h(
    "form",
    { method: "dialog", class: "dialog-form" },
    h("h2", { id: titleId }, title),
    body,
    error,
    // The primary button comes first, so that Enter sends the form through it; the row is
    // shown reversed: Cancel on the left, the primary button on the right.
    h(
      "div",
      { class: "actions reversed" },
      buttons,
      h("button", { type: "button", onclick: () => close(), "data-testid": "dialog-cancel" }, cancel),
    ),
  );
  const dialog = h(
    "dialog",
    { id, class: `dialog${wide ? " wide" : ""}`, "aria-labelledby": titleId, "data-testid": testid },
    form,
  );

  function fail(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submitter = event.submitter || buttons.find((b) => b.classList.contains("primary")) || null;
    fail("");
    const all = [...buttons];
    all.forEach((b) => (b.disabled = true));
    try {
      const values = Object.fromEntries(new FormData(form));
      const keep = await onSubmit(values, submitter?.value || "");
      if (keep !== false) close();
    } catch (e) {
      fail(e.message || String(e));
    } finally {
      all.forEach((b) => (b.disabled = false));
    }
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, form, fail, close };
}
