// The top bar: marks the current page and signs out.
import { send } from "./api.js";

export function init() {
  for (const link of document.querySelectorAll(".topbar nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
  const button = document.getElementById("sign-out");
  button?.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await send("POST", "/api/v1/auth/logout");
    } finally {
      location.assign("/login");
    }
  });
}
