// The audit page's "Changes" tab (admins): changes worth auditing (a schedule created, changed,
// paused by someone or by Belvedere, resumed, deleted; the owner's confirmation that recipients
// see their rows), newest first, filtered by who, what, object and dates, more on demand. The
// tab and its filters live in the page's address (?tab=changes&...), so a reload keeps them.
import { get, url } from "../lib/api.js";
import { byId, h, replace } from "../lib/dom.js";
import { pageFooter, pageSummary } from "./paged-list.js";
import { dayStart, fullTime, stamp } from "../lib/format.js";

const API = "/api/v1/audit/events";
const PAGE = 100;
const TYPING_DELAY_MS = 350;
const FILTERS = ["actor", "action", "since", "until", "object_kind", "object_id"];
export const ACTIONS = [
  ["schedule_created", "Schedule created"],
  ["schedule_changed", "Schedule changed"],
  ["schedule_paused", "Schedule paused"],
  ["schedule_resumed", "Schedule resumed"],
  ["schedule_deleted", "Schedule deleted"],
  ["confirmation_given", "Confirmation given"],
  ["confirmation_withdrawn", "Confirmation withdrawn"],
];
const ACTION_LABELS = Object.fromEntries(ACTIONS);
const KIND_LABELS = { schedule: "Schedule" };

const muted = (text) => h("span", { class: "muted" }, text);

function field(name, label, control) {
  return h("label", { class: "filter" }, h("span", {}, label), control);
}

/** The object of an event: its kind and name, linked while it exists. */
function objectCell(event) {
  const name = event.details?.name;
  const text = `${KIND_LABELS[event.object_kind] || event.object_kind} ${name ? `“${name}”` : event.object_id}`;
  return h(
    "td",
    { class: "object" },
    event.object_url ? h("a", { href: event.object_url }, text) : text,
    !event.object_url && muted(" (gone)"),
  );
}

/** Start the Changes tab; `show()` loads it (once shown) and puts its filters in the address. */
export function initChanges() {
  const form = byId("changes-filters");
  const results = byId("changes-results");
  const summary = byId("changes-summary");
  let events = [];
  let nextBefore = null;
  let loading = false;
  let error = null;
  let token = 0;
  let typingTimer = null;
  let lastQuery = {};
  let object = {}; // object_kind / object_id: from a link, shown as a note that clears it

  replace(
    form,
    field(
      "actor",
      "Who",
      h("input", { name: "actor", list: "changes-actors", placeholder: "anyone", autocomplete: "off" }),
    ),
    field(
      "action",
      "What",
      h(
        "select",
        { name: "action" },
        h("option", { value: "" }, "Any"),
        ACTIONS.map(([value, text]) => h("option", { value }, text)),
      ),
    ),
    field("since", "From", h("input", { name: "since", type: "date" })),
    field("until", "To", h("input", { name: "until", type: "date" })),
    h(
      "div",
      { class: "filter actions" },
      h("button", { type: "submit", class: "primary" }, "Apply"),
      h("button", { type: "button", class: "link", onclick: clear }, "Clear"),
    ),
    h("datalist", { id: "changes-actors" }),
  );
  get("/api/v1/users").then(
    (all) =>
      replace(
        form.querySelector("datalist"),
        all.map((u) => h("option", { value: u.username })),
      ),
    () => {},
  );

  function values() {
    const found = Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v).trim()]));
    return { ...found, ...object };
  }

  function setValues(from) {
    for (const name of ["actor", "action", "since", "until"]) form.elements[name].value = from[name] || "";
    object = from.object_kind ? { object_kind: from.object_kind, object_id: from.object_id || "" } : {};
  }

  function apiQuery(current) {
    const query = {};
    for (const name of FILTERS) {
      const value = current[name];
      if (!value) continue;
      if (name === "since") query.since = dayStart(value);
      else if (name === "until") query.until = dayStart(value, 1);
      else query[name] = value;
    }
    return query;
  }

  function apply() {
    clearTimeout(typingTimer);
    const current = values();
    const kept = Object.fromEntries(FILTERS.filter((n) => current[n]).map((n) => [n, current[n]]));
    history.replaceState(null, "", url(location.pathname, { tab: "changes", ...kept }));
    load(apiQuery(current), null);
  }

  function clear() {
    setValues({});
    apply();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name !== "actor") apply();
  });
  form.addEventListener("input", (event) => {
    if (event.target.name !== "actor") return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(apply, TYPING_DELAY_MS);
  });

  function row(event) {
    return h(
      "tr",
      { "data-testid": "change-row", dataset: { action: event.action } },
      h(
        "td",
        { class: "time" },
        h("time", { datetime: event.at, title: fullTime(event.at) }, stamp(event.at)),
      ),
      h("td", { class: "user" }, event.actor || muted("Belvedere")),
      h("td", { class: "action" }, ACTION_LABELS[event.action] || event.action),
      objectCell(event),
      h("td", { class: "details" }, event.summary),
    );
  }

  function render() {
    const head = h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Time", "Who", "What", "Object", "Details"].map((label) => h("th", {}, label)),
      ),
    );
    const table = events.length
      ? h(
          "table",
          { class: "audit-table changes-table", "data-testid": "changes-table" },
          head,
          h("tbody", {}, events.map(row)),
        )
      : h("p", { class: "empty" }, loading ? "Loading…" : "No changes match these filters.");
    replace(
      results,
      object.object_kind &&
        h(
          "p",
          { class: "changes-object muted" },
          `Only ${KIND_LABELS[object.object_kind] || object.object_kind} ${object.object_id}. `,
          h("button", { type: "button", class: "link", onclick: () => ((object = {}), apply()) }, "Show all"),
        ),
      h("div", { class: "audit-scroll" }, table),
      ...pageFooter({ error, nextBefore, loading, more, testid: "changes-more" }),
    );
    replace(summary, pageSummary(events.length, "change", nextBefore));
  }

  async function load(query, before) {
    const mine = ++token;
    lastQuery = query;
    loading = true;
    error = null;
    if (!before) {
      events = [];
      nextBefore = null;
    }
    render();
    let page;
    try {
      page = await get(API, { ...query, limit: PAGE, before });
    } catch (e) {
      if (mine !== token) return;
      loading = false;
      error = `Could not read the changes: ${e.message}`;
      render();
      return;
    }
    if (mine !== token) return;
    loading = false;
    const seen = new Set(events.map((e) => e.id));
    events = events.concat(page.events.filter((e) => !seen.has(e.id)));
    nextBefore = page.next_before;
    render();
  }

  function more() {
    if (nextBefore && !loading) load(lastQuery, nextBefore);
  }

  let started = false;
  return {
    /** Show the tab: the first time with the address's filters, later with the form's. */
    show() {
      if (!started) {
        started = true;
        setValues(Object.fromEntries(new URLSearchParams(location.search)));
      }
      apply();
    },
  };
}

/**
 * The audit page's tabs: Runs (`showRuns`) and Changes, as `?tab=changes` asks; the CSV export
 * is of runs, so it shows with them only.
 */
export function initAuditTabs(showRuns) {
  const changes = initChanges();
  const tabs = [...document.querySelectorAll("#audit [role=tab]")];
  const exportLink = byId("audit-export");

  function select(name) {
    for (const tab of tabs) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      byId(tab.getAttribute("aria-controls")).hidden = !on;
    }
    exportLink.hidden = name !== "runs";
    if (name === "changes") changes.show();
    else showRuns();
  }

  for (const tab of tabs) tab.addEventListener("click", () => select(tab.dataset.tab));
  const first = new URLSearchParams(location.search).get("tab") === "changes" ? "changes" : "runs";
  return { first, select };
}
