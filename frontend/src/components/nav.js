// The top bar: marks the current page, signs out, changes your password, and shows budget
// alerts below itself.
import { post, send, signOutStarted } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { showBudgetNotices } from "./budget-notices.js";

export function init(user) {
  for (const link of document.querySelectorAll(".topbar nav a")) {
    const href = link.getAttribute("href");
    if (href === location.pathname || (href !== "/" && location.pathname.startsWith(`${href}/`)))
      link.setAttribute("aria-current", "page");
  }
  const button = document.getElementById("sign-out");
  button?.addEventListener("click", async () => {
    button.disabled = true;
    signOutStarted();
    try {
      await send("POST", "/api/v1/auth/logout");
    } finally {
      location.assign("/login");
    }
  });
  document.getElementById("change-password")?.addEventListener("click", openPasswordDialog);
  const topbar = document.querySelector(".topbar");
  if (topbar) showBudgetNotices(topbar, user);
}

function passwordField(label, name, autocomplete) {
  return h(
    "label",
    { class: "field" },
    h("span", {}, label),
    h("input", { type: "password", name, autocomplete, required: true, minlength: 8 }),
  );
}

/** A dialog to change your own password (your other sessions end). */
function openPasswordDialog() {
  const error = h("p", { class: "error-message", role: "alert", hidden: true });
  const form = h(
    "form",
    { method: "dialog", class: "password-form" },
    h("h2", {}, "Change your password"),
    passwordField("Current password", "current", "current-password"),
    passwordField("New password (8 characters or more)", "new", "new-password"),
    passwordField("New password again", "again", "new-password"),
    error,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", value: "cancel", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, "Change password"),
    ),
  );
  const dialog = h("dialog", { id: "password-dialog", class: "dialog" }, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const fail = (message) => {
      error.textContent = message;
      error.hidden = false;
    };
    if (values.new !== values.again) return fail("The new passwords differ.");
    try {
      await post("/api/v1/auth/password", {
        current_password: values.current,
        new_password: values.new,
      });
    } catch (e) {
      return fail(e.message);
    }
    replace(
      form,
      h("h2", {}, "Password changed"),
      h("p", {}, "Your other sessions have been signed out."),
      h(
        "div",
        { class: "actions" },
        h("button", { class: "primary", onclick: () => dialog.close() }, "Done"),
      ),
    );
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
