// The audit log (admins): every run of every user, filtered (user, connection, status, surface,
// principal, dates, SQL text), newest first, more on demand, and the same filters as CSV. The
// chart builder's column probes (LIMIT 0 runs) are left out unless the surface filter asks for
// them; times show their date, in the viewer's time zone. The
// filters live in the page's address too, so a reload or a shared link keeps them. The
// "Changes" tab (components/audit-changes.js) shows the audit events.
import { get, url } from "../lib/api.js";
import { byId, h, replace } from "../lib/dom.js";
import { pageFooter, pageSummary } from "../components/paged-list.js";
import { STATUS_LABELS, bytes, count, dayStart, duration, fullTime, snippet, stamp } from "../lib/format.js";
import { statusBadge } from "../components/history.js";
import { initAuditTabs } from "../components/audit-changes.js";

const PAGE = 100;
const TYPING_DELAY_MS = 350;
const TEXT_FILTERS = ["user", "connection", "principal", "text"];
const FILTERS = [...TEXT_FILTERS, "status", "surface", "since", "until"];
const SURFACES = [
  ["sqllab", "SQL Lab"],
  ["api", "API"],
  ["cli", "Command line"],
  ["chart", "Chart"],
  ["dashboard", "Dashboard"],
  ["schedule", "Schedule"],
  ["drill", "Drill to detail"],
  ["probe", "Column probe"],
];
const SURFACE_LABELS = Object.fromEntries(SURFACES);
const STATUSES = ["succeeded", "failed", "cancelled", "timed_out", "running", "queued"];

/** The API's query of the filters: dates become instants ("to" includes its whole day). */
function apiFilters(values) {
  const query = {};
  for (const name of FILTERS) {
    const value = (values[name] || "").trim();
    if (!value) continue;
    if (name === "since") query.since = dayStart(value);
    else if (name === "until") query.until = dayStart(value, 1);
    else query[name] = value;
  }
  return query;
}

function input(name, label, attrs = {}) {
  return h(
    "label",
    { class: "filter" },
    h("span", {}, label),
    h("input", { name, autocomplete: "off", spellcheck: "false", ...attrs }),
  );
}

function select(name, label, options) {
  return h(
    "label",
    { class: "filter" },
    h("span", {}, label),
    h(
      "select",
      { name },
      h("option", { value: "" }, "Any"),
      options.map(([value, text]) => h("option", { value }, text)),
    ),
  );
}

const datalist = (id, values) =>
  h(
    "datalist",
    { id },
    [...values].sort().map((v) => h("option", { value: v })),
  );

const muted = (text) => h("span", { class: "muted" }, text);

function sizeCell(n) {
  if (n === null || n === undefined) return h("td", { class: "num" }, muted("—"));
  return h("td", { class: "num", title: `${n.toLocaleString()} bytes` }, bytes(n));
}

export function init() {
  const root = byId("audit");
  const form = byId("audit-filters");
  const results = byId("audit-results");
  const exportLink = byId("audit-export");
  const summary = byId("audit-summary");

  let entries = [];
  let nextBefore = null;
  let loading = false;
  let error = null;
  let token = 0; // the latest request: older answers are dropped
  let typingTimer = null;
  const expanded = new Set();
  const users = new Set();
  const connections = new Set();
  const principals = new Set();

  // ----- the filter bar

  replace(
    form,
    input("user", "User", { list: "audit-users", placeholder: "anyone", "data-testid": "filter-user" }),
    input("connection", "Connection", { list: "audit-connections", placeholder: "any" }),
    select(
      "status",
      "Status",
      STATUSES.map((s) => [s, STATUS_LABELS[s]]),
    ),
    select("surface", "Surface", SURFACES),
    input("principal", "Principal", {
      list: "audit-principals",
      placeholder: "e.g. user:alice@example.com",
      title: "Who the warehouse saw run it",
    }),
    input("since", "From", { type: "date" }),
    input("until", "To", { type: "date" }),
    input("text", "SQL contains", { type: "search", placeholder: "part of the SQL", class: "wide" }),
    h(
      "div",
      { class: "filter actions" },
      h("button", { type: "submit", class: "primary" }, "Apply"),
      h("button", { type: "button", class: "link", onclick: clear }, "Clear"),
    ),
    h("div", { hidden: true, class: "datalists" }),
  );
  const lists = form.querySelector(".datalists");

  function refreshLists() {
    replace(
      lists,
      datalist("audit-users", users),
      datalist("audit-connections", connections),
      datalist("audit-principals", principals),
    );
  }

  function values() {
    return Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]));
  }

  function setValues(from) {
    for (const name of FILTERS) {
      const control = form.elements[name];
      if (control) control.value = from[name] || "";
    }
  }

  /** The filters as the page's own query string (the form's values, dates as days). */
  function remember(current) {
    const kept = Object.fromEntries(
      FILTERS.filter((n) => current[n]?.trim()).map((n) => [n, current[n].trim()]),
    );
    history.replaceState(null, "", url(location.pathname, kept));
  }

  function clear() {
    setValues({});
    apply();
  }

  function apply() {
    clearTimeout(typingTimer);
    const current = values();
    remember(current);
    const query = apiFilters(current);
    exportLink.href = url("/api/v1/audit/export", query);
    load(query, null);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("change", (event) => {
    if (!TEXT_FILTERS.includes(event.target.name)) apply();
  });
  form.addEventListener("input", (event) => {
    if (!TEXT_FILTERS.includes(event.target.name)) return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(apply, TYPING_DELAY_MS);
  });

  // ----- the table

  function row(entry) {
    const open = expanded.has(entry.run_id);
    const toggle = () => {
      if (expanded.has(entry.run_id)) expanded.delete(entry.run_id);
      else expanded.add(entry.run_id);
      render();
    };
    const main = h(
      "tr",
      { class: open ? "open" : null, dataset: { runId: entry.run_id }, "data-testid": "audit-row" },
      h(
        "td",
        { class: "time" },
        h(
          "time",
          { datetime: entry.submitted_at, title: fullTime(entry.submitted_at) },
          stamp(entry.submitted_at),
        ),
      ),
      h(
        "td",
        { class: "user" },
        entry.user,
        entry.os_account &&
          h(
            "span",
            { class: "muted os-account", title: "The OS account that ran the command line" },
            ` via ${entry.os_account}`,
          ),
      ),
      h(
        "td",
        { class: "principal", title: entry.principal || "" },
        entry.principal === "connection" ? muted("connection") : entry.principal || muted("—"),
      ),
      h("td", {}, entry.connection),
      h("td", {}, SURFACE_LABELS[entry.surface] || entry.surface),
      h("td", {}, statusBadge(entry.status)),
      h("td", { class: "num" }, entry.duration_ms == null ? muted("—") : duration(entry.duration_ms)),
      h("td", { class: "num" }, entry.row_count == null ? muted("—") : count(entry.row_count)),
      sizeCell(entry.bytes_processed),
      sizeCell(entry.bytes_billed),
      h(
        "td",
        { class: "sql" },
        h(
          "button",
          {
            type: "button",
            class: "sql-toggle",
            "aria-expanded": String(open),
            title: open ? "Hide the full SQL" : "Show the full SQL",
            onclick: toggle,
          },
          h("span", { class: "caret", "aria-hidden": "true" }, open ? "▾" : "▸"),
          h("code", {}, snippet(entry.sql || "", 120) || "(table read)"),
        ),
      ),
      h("td", { class: "job" }, entry.job_id ? h("code", { title: entry.job_id }, entry.job_id) : muted("—")),
    );
    if (!open) return main;
    const detail = h(
      "tr",
      { class: "detail", "data-testid": "audit-detail" },
      h(
        "td",
        { colspan: "12" },
        h("pre", { class: "full-sql" }, entry.sql),
        entry.error_code &&
          h(
            "p",
            { class: "error-message" },
            h("strong", {}, entry.error_code),
            entry.error_message ? `: ${entry.error_message}` : "",
          ),
        h(
          "p",
          { class: "muted ids" },
          `Run ${entry.run_id}`,
          entry.finished_at ? ` · ended ${stamp(entry.finished_at)}` : "",
          entry.bytes_estimated != null ? ` · estimated ${bytes(entry.bytes_estimated)}` : "",
        ),
      ),
    );
    return [main, detail];
  }

  function render() {
    const head = h(
      "thead",
      {},
      h(
        "tr",
        {},
        [
          "Time",
          "User",
          "Principal",
          "Connection",
          "Surface",
          "Status",
          "Duration",
          "Rows",
          "Processed",
          "Billed",
          "SQL",
          "Job",
        ].map((label) =>
          h(
            "th",
            { class: ["Duration", "Rows", "Processed", "Billed"].includes(label) ? "num" : null },
            label,
          ),
        ),
      ),
    );
    const table = entries.length
      ? h(
          "table",
          { class: "audit-table", "data-testid": "audit-table" },
          head,
          h("tbody", {}, entries.map(row)),
        )
      : h("p", { class: "empty" }, loading ? "Loading…" : "No runs match these filters.");
    replace(
      results,
      h("div", { class: "audit-scroll" }, table),
      ...pageFooter({ error, nextBefore, loading, more, testid: "audit-more" }),
    );
    replace(summary, pageSummary(entries.length, "run", nextBefore));
    root.setAttribute("aria-busy", String(loading));
  }

  let lastQuery = {};

  async function load(query, before) {
    const mine = ++token;
    lastQuery = query;
    loading = true;
    error = null;
    if (!before) {
      entries = [];
      nextBefore = null;
      expanded.clear();
    }
    render();
    let page;
    try {
      page = await get("/api/v1/audit", { ...query, limit: PAGE, before });
    } catch (e) {
      if (mine !== token) return;
      loading = false;
      error = `Could not read the audit log: ${e.message}`;
      render();
      return;
    }
    if (mine !== token) return;
    loading = false;
    const seen = new Set(entries.map((e) => e.run_id));
    entries = entries.concat(page.entries.filter((e) => !seen.has(e.run_id)));
    nextBefore = page.next_before;
    for (const entry of page.entries) {
      users.add(entry.user);
      connections.add(entry.connection);
      if (entry.principal) principals.add(entry.principal);
    }
    refreshLists();
    render();
  }

  function more() {
    if (nextBefore && !loading) load(lastQuery, nextBefore);
  }

  // Names to pick from: every account, every connection (older names come with the entries).
  get("/api/v1/users").then(
    (all) => {
      all.forEach((u) => users.add(u.username));
      refreshLists();
    },
    () => {},
  );
  get("/api/v1/connections").then(
    (all) => {
      all.forEach((c) => connections.add(c.name));
      refreshLists();
    },
    () => {},
  );

  refreshLists();
  const tabs = initAuditTabs(apply); // Runs, or Changes (?tab=changes)
  if (tabs.first === "runs") setValues(Object.fromEntries(new URLSearchParams(location.search)));
  tabs.select(tabs.first);
}
