// How the chart pages show a failed request: a few words by HTTP status, then the server's
// message (a bad spec, a warehouse error, a timeout).
import { h } from "./dom.js";

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

/** An error box: a title and the server's message. */
export function errorBox(error, title = failureTitle(error)) {
  return h(
    "div",
    { class: "error-box" },
    h("div", { class: "error-title" }, title),
    h("pre", { class: "error-message", "data-testid": "error-message" }, error.message),
  );
}
