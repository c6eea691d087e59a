// The connections page: everyone sees the list; admins add, edit, test and remove. A test's
// outcome shows in a row of its own under the connection's (and under the form's buttons).
// Adding starts with the kind, the simplest first (DuckDB: a file on this server).
import { del, get, patch, post } from "../lib/api.js";
import { byId, h, replace } from "../lib/dom.js";
import { optionFields, optionNodes, optionValues } from "../components/connection-form.js";
import { bytes, duration } from "../lib/format.js";

/** The kinds in the order offered: the simplest first (the default), unknown ones last. */
const KIND_ORDER = ["duckdb", "postgres", "bigquery"];

/** What each kind is, under the kind picker. */
const KIND_HELP = {
  duckdb: "A DuckDB database file on this server: nothing else to run.",
  postgres: "A PostgreSQL server Belvedere reaches over the network.",
  bigquery: "Google BigQuery: a project, how Belvedere signs in, and whom queries run as.",
};

const rank = (kind) => {
  const at = KIND_ORDER.indexOf(kind.kind);
  return at === -1 ? KIND_ORDER.length : at;
};

function optionSummary(connection) {
  // A viewer is told a connection's name and kind only: no options, no secrets.
  const set = Object.entries(connection.options || {}).filter(
    ([, value]) =>
      value !== null && value !== "" && !(typeof value === "object" && Object.keys(value).length === 0),
  );
  const parts = set.map(([key, value]) => {
    if (typeof value === "object") {
      const entries = Object.entries(value);
      return h(
        "span",
        { class: "chip", title: entries.map(([k, v]) => `${k} → ${v}`).join("\n") },
        h("span", { class: "key" }, key),
        " ",
        entries.length === 1 ? "1 mapping" : `${entries.length} mappings`,
      );
    }
    const size = /bytes/.test(key) && typeof value === "number";
    return h(
      "span",
      { class: "chip", title: size ? `${value.toLocaleString()} bytes` : null },
      h("span", { class: "key" }, key),
      " ",
      size ? bytes(value) : String(value),
    );
  });
  const secrets = (connection.secrets_set || []).map((name) =>
    h("span", { class: "chip secret" }, h("span", { class: "key" }, name), " stored"),
  );
  return [...parts, ...secrets];
}

function testResult(outcome) {
  return h(
    "span",
    { class: `test-result ${outcome.ok ? "ok" : "failed"}`, role: "status", "data-testid": "test-result" },
    h("strong", {}, outcome.ok ? "✓ Connected" : "✗ Failed"),
    ` · ${outcome.message} · ${duration(outcome.elapsed_ms)}`,
  );
}

export async function init(page) {
  const root = byId("connections");
  const list = byId("connection-list");
  const editor = byId("connection-editor");
  const flash = byId("connections-flash");
  const addButton = byId("add-connection");
  const manage = Boolean(page.manage);
  let kinds = [];

  async function refresh() {
    let connections;
    try {
      connections = await get("/api/v1/connections");
    } catch (error) {
      replace(list, h("p", { class: "error-message" }, `Could not list connections: ${error.message}`));
      return;
    }
    if (connections.length === 0) {
      replace(
        list,
        h(
          "p",
          { class: "empty" },
          manage
            ? "No connections yet. Add one to start querying."
            : "No connections yet. Ask an admin to add one.",
        ),
      );
      return;
    }
    const detailed = connections.some((c) => "options" in c); // viewers: name and kind only
    replace(
      list,
      h(
        "table",
        { class: "list", id: "connections-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "Name"),
            h("th", {}, "Kind"),
            detailed && h("th", {}, "Options"),
            detailed && h("th", {}, "Timeout"),
            manage && h("th", {}, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        h(
          "tbody",
          {},
          connections.map((c) => row(c, detailed)),
        ),
      ),
    );
  }

  function row(connection, detailed) {
    const status = h("div", { class: "row-status" });
    const columns = 2 + (detailed ? 2 : 0) + (manage ? 1 : 0);
    const statusRow = h(
      "tr",
      { class: "status-row", hidden: true, dataset: { statusOf: connection.name } },
      h("td", { colspan: String(columns) }, status),
    );
    const show = (...content) => {
      replace(status, ...content);
      statusRow.hidden = content.length === 0;
    };
    const test = async (button) => {
      button.disabled = true;
      show(h("span", { class: "muted" }, "Testing…"));
      try {
        show(testResult(await post(`/api/v1/connections/${encodeURIComponent(connection.name)}/test`)));
      } catch (error) {
        show(h("span", { class: "error-message" }, error.message));
      } finally {
        button.disabled = false;
      }
    };
    const remove = async () => {
      if (!confirm(`Remove the connection “${connection.name}”? Its query history stays.`)) return;
      try {
        await del(`/api/v1/connections/${encodeURIComponent(connection.name)}`);
        say(`Removed ${connection.name}.`);
        if (editor.dataset.editing === connection.name) closeEditor();
        refresh();
      } catch (error) {
        show(h("span", { class: "error-message" }, error.message));
      }
    };
    const main = h(
      "tr",
      { class: "connection-row", dataset: { connection: connection.name } },
      h("td", { class: "name" }, h("strong", {}, connection.name)),
      h("td", {}, connection.kind),
      detailed && h("td", { class: "options" }, optionSummary(connection)),
      detailed &&
        h(
          "td",
          {},
          connection.timeout_seconds
            ? `${connection.timeout_seconds} s`
            : h("span", { class: "muted" }, "default"),
        ),
      manage &&
        h(
          "td",
          { class: "actions" },
          h("button", { type: "button", onclick: (e) => test(e.currentTarget) }, "Test"),
          h("button", { type: "button", onclick: () => openEditor(connection) }, "Edit"),
          h("button", { type: "button", class: "danger", onclick: remove }, "Remove"),
        ),
    );
    return [main, statusRow];
  }

  function say(message) {
    replace(flash, h("p", { class: "notice success", role: "status" }, message));
  }

  function closeEditor() {
    editor.hidden = true;
    delete editor.dataset.editing;
    replace(editor);
  }

  /** The add form (existing = null) or the edit form of a connection. */
  function openEditor(existing = null) {
    replace(flash);
    const adding = existing === null;
    let kind = adding ? kinds[0] : kinds.find((k) => k.kind === existing.kind);
    if (!kind) {
      replace(
        flash,
        h("p", { class: "error-message" }, `This server does not know the kind “${existing.kind}”.`),
      );
      return;
    }
    let fields = [];
    const fieldBox = h("div", { class: "option-fields" });
    const error = h("div", {
      class: "form-error error-message",
      role: "alert",
      hidden: true,
      "data-testid": "form-error",
    });
    const result = h("div", { class: "form-test", "data-testid": "form-test-result" });
    const name = h("input", {
      id: "connection-name",
      name: "name",
      required: true,
      maxlength: "64",
      autocomplete: "off",
      value: existing?.name || "",
      disabled: !adding,
    });
    const kindSelect = h(
      "select",
      { id: "connection-kind", name: "kind", disabled: !adding },
      kinds.map((k) => h("option", { value: k.kind, selected: k === kind }, k.label)),
    );
    const kindHelp = h("small", { class: "help", "data-testid": "kind-help" });
    const timeout = h("input", {
      id: "connection-timeout",
      name: "timeout_seconds",
      type: "number",
      min: "0.1",
      max: "86400",
      step: "any",
      placeholder: "server default",
      value: existing?.timeout_seconds ?? "",
    });

    const renderFields = () => {
      fields = optionFields(kind, existing);
      replace(fieldBox, optionNodes(fields));
      replace(kindHelp, KIND_HELP[kind.kind] || "");
      replace(result); // a test's outcome was of the other kind's options
    };
    kindSelect.addEventListener("change", () => {
      kind = kinds.find((k) => k.kind === kindSelect.value);
      renderFields();
    });
    renderFields();

    const showError = (message) => {
      error.textContent = message;
      error.hidden = !message;
    };

    const testButton = h("button", { type: "button", "data-testid": "form-test" }, "Test");
    testButton.addEventListener("click", async () => {
      showError("");
      testButton.disabled = true;
      replace(result, h("span", { class: "muted" }, "Testing…"));
      try {
        // When editing, the stored secrets fill the ones left blank.
        const outcome = await post("/api/v1/connections/test", {
          kind: kind.kind,
          options: optionValues(fields),
          name: adding ? null : existing.name,
        });
        replace(result, testResult(outcome));
      } catch (e) {
        replace(result);
        showError(e.message);
      } finally {
        testButton.disabled = false;
      }
    });

    const form = h(
      "form",
      { class: "connection-form", id: "connection-form" },
      h("h2", {}, adding ? "Add a connection" : `Edit ${existing.name}`),
      h("div", { class: "field" }, h("label", { for: "connection-kind" }, "Kind"), kindSelect, kindHelp),
      h(
        "div",
        { class: "field" },
        h("label", { for: "connection-name" }, "Name", h("span", { class: "required" }, " *")),
        name,
        adding &&
          h("small", { class: "help" }, "Letters, digits, “_”, “-” or “.”; users pick it in SQL Lab."),
      ),
      fieldBox,
      h(
        "div",
        { class: "field" },
        h("label", { for: "connection-timeout" }, "Query timeout (seconds)"),
        timeout,
        h(
          "small",
          { class: "help" },
          "Deadline of each query on this connection; blank uses the server's default.",
        ),
      ),
      error,
      h(
        "div",
        { class: "form-actions" },
        h(
          "button",
          { type: "submit", class: "primary", "data-testid": "form-save" },
          adding ? "Add connection" : "Save changes",
        ),
        testButton,
        h("button", { type: "button", class: "link", onclick: closeEditor }, "Cancel"),
      ),
      result,
    );

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError("");
      const seconds = timeout.value.trim() === "" ? null : Number.parseFloat(timeout.value);
      const submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        if (adding) {
          await post("/api/v1/connections", {
            name: name.value.trim(),
            kind: kind.kind,
            options: optionValues(fields),
            timeout_seconds: seconds,
          });
        } else {
          const body = { options: optionValues(fields) };
          if (seconds !== null) body.timeout_seconds = seconds;
          else if (existing.timeout_seconds !== null) body.clear_timeout = true;
          await patch(`/api/v1/connections/${encodeURIComponent(existing.name)}`, body);
        }
        const saved = adding ? name.value.trim() : existing.name;
        closeEditor();
        say(adding ? `Added ${saved}.` : `Saved ${saved}.`);
        refresh();
      } catch (e) {
        showError(e.message);
      } finally {
        submit.disabled = false;
      }
    });

    editor.dataset.editing = existing?.name || "";
    editor.hidden = false;
    replace(editor, form);
    (adding ? name : fields[0]?.input || timeout).focus();
  }

  if (manage) {
    try {
      kinds = (await get("/api/v1/connection-kinds")).sort((a, b) => rank(a) - rank(b));
      addButton.hidden = false;
      addButton.addEventListener("click", () => openEditor());
    } catch (error) {
      replace(
        flash,
        h("p", { class: "error-message" }, `Could not load the kinds of connection: ${error.message}`),
      );
    }
  }
  root.classList.toggle("read-only", !manage);
  await refresh();
}
