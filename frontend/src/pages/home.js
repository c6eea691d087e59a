// Home: your favourites (what you starred, that you may still open) and what you used lately:
// queries you ran (opened in a new SQL Lab tab), charts and dashboards you opened or changed.
// Each section says what to do when it is empty; stars toggle in place.
import { get } from "../lib/api.js";
import { byId, h, replace } from "../lib/dom.js";
import { fullTime, snippet, STATUS_LABELS, when } from "../lib/format.js";
import { favouriteStar } from "../components/favourite-star.js";

/** Where SQL Lab reads a query to open in a new tab (contract with pages/sqllab.js). */
const OPEN_KEY = "belvedere.sqllab.open";
const KIND_LABELS = { chart: "Chart", dashboard: "Dashboard", saved_query: "Saved query" };

/** The list element of a section of the Home page (null when the role has no such section). */
const listOf = (testid) => document.querySelector(`[data-testid="${testid}"] .home-list`);

/** Open a query of the history in a new SQL Lab tab. */
export function openInSqlLab(query, title) {
  try {
    sessionStorage.setItem(OPEN_KEY, JSON.stringify({ connection: query.connection, sql: query.sql, title }));
  } catch {
    // Storage off: SQL Lab still opens, without the query.
  }
  location.assign("/sqllab");
}

/** A query's name in a list: its first words, for a tab's title too. */
export function queryTitle(sql) {
  const text = snippet(sql, 40);
  return text || "Query";
}

function time(iso, prefix = "") {
  if (!iso) return null;
  return h("time", { class: "muted", datetime: iso, title: fullTime(iso) }, `${prefix}${when(iso)}`);
}

/** The places where a user can star things, as links. */
function whereToStar(page) {
  return [
    page.edit_charts && h("a", { href: "/charts" }, "your charts"),
    h("a", { href: "/dashboards" }, "dashboards"),
    page.run_sql && h("a", { href: "/sqllab" }, "saved queries (SQL Lab)"),
  ].filter(Boolean);
}

/** Nodes joined as "a, b or c". */
function joined(nodes) {
  return nodes.flatMap((node, i) => [i === 0 ? "" : i === nodes.length - 1 ? " or " : ", ", node]);
}

function empty(...message) {
  return h("p", { class: "empty" }, ...message);
}

export async function init(page, user) {
  const flash = byId("home-flash");
  const lists = {
    favourites: listOf("home-favourites"),
    queries: listOf("home-queries"),
    charts: listOf("home-charts"),
    dashboards: listOf("home-dashboards"),
  };
  let favourites = [];
  let recent = { queries: [], charts: [], dashboards: [] };

  const starredIds = () => new Set(favourites.map((f) => `${f.kind}:${f.id}`));

  async function reloadFavourites() {
    try {
      favourites = (await get("/api/v1/me/favourites")).favourites;
    } catch (error) {
      replace(flash, h("p", { class: "notice error", role: "alert" }, error.message));
      return;
    }
    render();
  }

  function itemRow(item, { starred, label = false, prefix = "" }) {
    return h(
      "li",
      { class: "home-item", "data-testid": "home-item", "data-kind": item.kind, "data-id": String(item.id) },
      favouriteStar(item.kind, item.id, starred, { name: item.name, onChange: reloadFavourites }),
      h(
        "div",
        { class: "home-item-main" },
        h("a", { href: item.url, "data-testid": "home-link" }, item.name),
        h(
          "span",
          { class: "home-item-meta muted" },
          label && h("span", { class: "pill" }, KIND_LABELS[item.kind] || item.kind),
          !item.mine && h("span", {}, `by ${item.owner}`),
          time(item.at, prefix),
        ),
      ),
    );
  }

  function queryRow(query) {
    const title = queryTitle(query.sql);
    return h(
      "li",
      { class: "home-item", "data-testid": "home-query" },
      h(
        "div",
        { class: "home-item-main" },
        h(
          "a",
          {
            href: "/sqllab",
            class: "home-sql",
            title: `Open in a new SQL Lab tab:\n${query.sql}`,
            "data-testid": "home-query-link",
            onclick: (event) => {
              if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
              event.preventDefault();
              openInSqlLab(query, title);
            },
          },
          snippet(query.sql, 120),
        ),
        h(
          "span",
          { class: "home-item-meta muted" },
          h("span", {}, query.connection),
          h("span", { class: `badge status-${query.status}` }, STATUS_LABELS[query.status] || query.status),
          time(query.submitted_at),
        ),
      ),
    );
  }

  function section(list, items, row, emptyState) {
    if (!list) return;
    if (items.length === 0) replace(list, emptyState);
    else replace(list, h("ul", { class: "home-items" }, items.map(row)));
  }

  function render() {
    const starred = starredIds();
    const isStarred = (item) => starred.has(`${item.kind}:${item.id}`);
    section(
      lists.favourites,
      favourites,
      (item) => itemRow(item, { starred: true, label: true, prefix: "starred " }),
      empty("No favourites yet. Star ☆ what you use most to keep it here: ", joined(whereToStar(page)), "."),
    );
    section(
      lists.queries,
      recent.queries,
      queryRow,
      empty("No queries yet. ", h("a", { href: "/sqllab" }, "Open SQL Lab"), " and run one: it shows here."),
    );
    section(
      lists.charts,
      recent.charts,
      (item) => itemRow(item, { starred: isStarred(item) }),
      empty(
        "No charts yet. ",
        h("a", { href: "/charts/new" }, "Build a chart"),
        " from a table or a saved query.",
      ),
    );
    section(
      lists.dashboards,
      recent.dashboards,
      (item) => itemRow(item, { starred: isStarred(item) }),
      empty(
        "No dashboards opened yet. ",
        h("a", { href: "/dashboards" }, page.edit_charts ? "Open or create one" : "Open one shared with you"),
        ": the ones you open show here.",
      ),
    );
  }

  try {
    const [starredAnswer, recentAnswer] = await Promise.all([
      get("/api/v1/me/favourites"),
      get("/api/v1/me/recent"),
    ]);
    favourites = starredAnswer.favourites;
    recent = recentAnswer;
  } catch (error) {
    for (const list of Object.values(lists)) {
      if (list) replace(list, h("p", { class: "error-message empty" }, `Could not load: ${error.message}`));
    }
    return;
  }
  render();
}
