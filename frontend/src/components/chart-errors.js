// How the chart pages show a failed request: a few words by HTTP status, then the server's
// message (a bad spec, a warehouse error, a timeout).
import { authorizationPrompt, needsAuthorization } from "./authorize.js";
import { h } from "../lib/dom.js";

/** What went wrong, in a few words, by HTTP status. */
export function failureTitle(error) {
  if (error.status === 504) return "The warehouse took too long";
  if (error.status === 502) return "The warehouse could not be reached";
  if (error.status === 403) return "Not allowed";
  if (error.status === 404) return "Not found";
  if (error.status === 400 || error.status === 422) return "The chart cannot run";
  if (error.status === 0) return "The server could not be reached";
  return "Could not run the chart";
}

/**
 * An error box: a title and the server's message; when the connection queries as each user
 * and this one has not authorized it yet, the button to do so (and come back to this page).
 */
export function errorBox(error, title = failureTitle(error)) {
  if (needsAuthorization(error)) {
    // Not the answer's own authorize_url: that one leads back to SQL Lab, not to this page.
    const connection = error.body?.error?.connection || "";
    return authorizationPrompt({ connection }, { connection });
  }
  return h(
    "div",
    { class: "error-box" },
    h("div", { class: "error-title" }, title),
    h("pre", { class: "error-message", "data-testid": "error-message" }, error.message),
  );
}
