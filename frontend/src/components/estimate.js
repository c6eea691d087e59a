// The cost estimate next to the Run button: a pause after the SQL (or the selection) changes,
// SQL Lab asks the server what the query would process (BigQuery's dry run: free, nothing runs).
// A newer text aborts the request of an older one. Connections whose warehouse cannot estimate
// are asked once, then left alone. Where caps and budgets hold the user, it says the budget left
// beside the estimate, and warns of a query its cap or budget would refuse.
import { send } from "../lib/api.js";
import { connectLink, needsAuthorization } from "./authorize.js";
import { h, replace } from "../lib/dom.js";
import { estimateWords } from "../lib/costs.js";
import { bytes } from "../lib/format.js";

export const ESTIMATE_DELAY_MS = 600;

/** The estimate shown in `node`; `editor` says what would run and shows SQL errors. */
export function createEstimate(node, { editor }) {
  let connection = null;
  const unsupported = new Set(); // connections that answered `supported: false`
  const supported = new Set(); // connections that gave an estimate
  let timer = null;
  let controller = null;
  let asked = null; // connection and SQL of the last request, to skip asking twice

  function show(state, title, ...children) {
    node.hidden = false;
    node.dataset.state = state;
    node.title = title || "";
    node.classList.remove("pending");
    replace(node, children);
  }

  function hide() {
    node.hidden = true;
    node.dataset.state = "";
    node.title = "";
    replace(node);
  }

  function forget() {
    clearTimeout(timer);
    controller?.abort();
    controller = null;
    asked = null;
  }

  async function estimate() {
    if (!connection || unsupported.has(connection.name)) return;
    const { sql, from, selection } = editor.peekRunnable();
    const key = `${connection.name}\0${sql}`;
    if (key === asked) return;
    asked = key;
    controller?.abort();
    controller = null;
    if (!sql.trim()) {
      editor.clearHint();
      hide();
      return;
    }
    const mine = new AbortController();
    controller = mine;
    const name = connection.name;
    if (!node.hidden)
      node.classList.add("pending"); // the last estimate stays, dimmed, meanwhile
    else if (connection.dialect === "bigquery" || supported.has(name)) show("pending", "", "Estimating…");
    let answer;
    try {
      answer = await send("POST", "/api/v1/estimate", { connection: name, sql }, { signal: mine.signal });
    } catch (error) {
      if (controller !== mine) return;
      controller = null;
      show("unavailable", error.message, "Estimate unavailable");
      return;
    }
    if (controller !== mine) return; // a newer text is being estimated
    controller = null;
    const what = selection ? "This selection" : "This query";
    if (answer.ok) {
      const found = answer.data;
      editor.clearHint();
      if (!found.supported) {
        if (connection.dialect !== "bigquery") unsupported.add(name);
        hide();
        return;
      }
      supported.add(name);
      const cap = found.cap
        ? `Your cap: ${bytes(found.cap)} billed per query (${found.cap_from || "the connection"}).`
        : "";
      const exact = `${found.bytes.toLocaleString()} bytes (dry run).`;
      const words = estimateWords(found, what);
      if (words.state === "ok") {
        const budget = words.note
          ? h("span", { class: "budget", "data-testid": "estimate-budget" }, ` · ${words.note}`)
          : null;
        show(
          "ok",
          [exact, cap, words.note].filter(Boolean).join(" "),
          h("span", { class: "text" }, words.text),
          budget,
        );
        return;
      }
      const refused =
        words.state === "raise" ? "It would use your one-off raise." : "The query would be refused.";
      show(
        words.state,
        [exact, cap, found.budget_text, refused].filter(Boolean).join(" "),
        h("span", { class: "icon", "aria-hidden": "true" }, words.state === "raise" ? "ⓘ" : "⚠"),
        h("span", { class: "text" }, words.text),
      );
      return;
    }
    const error = answer.data?.error;
    if (needsAuthorization(error)) {
      // A per-user connection the user has not authorized yet: the estimate waits for it.
      editor.clearHint();
      show(
        "authorize",
        error.message,
        h("span", { class: "text" }, "No estimate until you connect: "),
        connectLink(error, name, { compact: true }),
      );
      return;
    }
    if (answer.status === 400 && error) {
      // The dry run found a problem in the SQL: said discreetly, and underlined in the editor.
      show(
        "invalid",
        error.message,
        h("span", { class: "icon", "aria-hidden": "true" }, "⚠"),
        h("span", { class: "text" }, error.message),
      );
      if (error.line) editor.hint(from, sql, error.line, error.column, error.message);
      else editor.clearHint();
      return;
    }
    show("unavailable", error?.message || `HTTP ${answer.status}`, "Estimate unavailable");
  }

  return {
    /** The SQL or the selection changed: estimate again after a pause. */
    schedule() {
      clearTimeout(timer);
      if (!connection || unsupported.has(connection.name)) return;
      timer = setTimeout(estimate, ESTIMATE_DELAY_MS);
    },

    /** Another connection was picked ({name, dialect}): estimate for it. */
    setConnection(next) {
      forget();
      connection = next;
      editor.clearHint();
      hide();
      this.schedule();
    },
  };
}
