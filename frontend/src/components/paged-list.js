// What the audit log's lists (runs, changes) share below their table: the error, "Load more",
// and the summary of how many rows are shown.
import { h } from "../lib/dom.js";
import { plural } from "../lib/format.js";

/** The error (if any) and the "Load more" button (while the API says there is more). */
export function pageFooter({ error, nextBefore, loading, more, testid }) {
  return [
    error && h("p", { class: "error-message audit-error", role: "alert" }, error),
    nextBefore &&
      h(
        "div",
        { class: "audit-more" },
        h(
          "button",
          { type: "button", disabled: loading, onclick: more, "data-testid": testid },
          loading ? "Loading…" : "Load more",
        ),
      ),
  ];
}

/** "12 runs", or "100 runs shown, newest first; more below"; nothing for none. */
export function pageSummary(n, noun, nextBefore) {
  if (!n) return "";
  return `${plural(n, noun)}${nextBefore ? " shown, newest first; more below" : ""}`;
}
