// The sign-in form.
import { send } from "../lib/api.js";
import { byId } from "../lib/dom.js";

export function init(page) {
  const form = byId("login-form");
  const error = form.querySelector(".error");
  const button = form.querySelector("button[type=submit]");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    error.hidden = true;
    button.disabled = true;
    button.textContent = "Signing in…";
    try {
      const answer = await send("POST", "/api/v1/auth/login", {
        username: String(fields.get("username") || "").trim(),
        password: String(fields.get("password") || ""),
      });
      if (answer.ok) {
        location.assign(page.next || "/");
        return;
      }
      error.textContent = answer.data?.error?.message || `Sign-in failed (HTTP ${answer.status}).`;
    } catch (e) {
      error.textContent = e.message;
    }
    error.hidden = false;
    button.disabled = false;
    button.textContent = "Sign in";
    form.elements.password.select();
  });
}
