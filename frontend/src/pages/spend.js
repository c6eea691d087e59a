// The Spend page: what queries billed, drawn by Belvedere's own charts (the chart service on
// the built-in connection `belvedere`, the chart view of dashboard tiles), budgets near their
// limit and the top queries; for admins, the Rules tab (components/spend-rules.js).
import { createChartView } from "../components/chart-view.js";
import { initRules } from "../components/spend-rules.js";
import { get, patch, url } from "../lib/api.js";
import { byId, h, replace } from "../lib/dom.js";
import { bytes, count, fullTime, snippet } from "../lib/format.js";
import { PERIODS, periodDays } from "../lib/spend.js";

const CHARTS = [
  { name: "over_time", title: "Spend over time", wide: true },
  { name: "by_user", title: "By user", admin: true },
  { name: "by_connection", title: "By connection" },
  { name: "by_dashboard", title: "By dashboard" },
  { name: "by_surface", title: "By surface" },
];
const MEASURES = { bytes_billed: "Bytes billed", cost: "Cost", runs: "Runs" };
const TOP_LIMIT = 10;

function select(name, options, value, label) {
  const control = h(
    "select",
    { name, "aria-label": label, "data-testid": `spend-${name}` },
    Object.entries(options).map(([key, text]) => h("option", { value: key, selected: key === value }, text)),
  );
  return h("label", { class: "inline-field" }, `${label} `, control);
}

export function init(page) {
  const state = { period: "30d", metric: "bytes_billed" };
  const filters = byId("spend-filters");
  const periods = Object.fromEntries(Object.entries(PERIODS).map(([k, p]) => [k, p.label]));
  replace(
    filters,
    select("period", periods, state.period, "Period"),
    select("metric", MEASURES, state.metric, "Measure"),
    h("button", { type: "button", "data-testid": "spend-refresh", onclick: () => show(true) }, "Refresh"),
  );
  filters.addEventListener("change", (event) => {
    state[event.target.name] = event.target.value;
    show();
  });

  const views = CHARTS.filter((c) => page.admin || !c.admin).map((chart) => {
    const body = h("div", { class: "spend-chart-body", "data-testid": `spend-chart-${chart.name}` });
    const note = h("p", { class: "muted spend-chart-note" });
    const card = h(
      "section",
      { class: `card spend-chart${chart.wide ? " wide" : ""}`, "aria-label": chart.title },
      h("h2", {}, chart.title),
      body,
      note,
    );
    return { chart, card, body, note, view: createChartView(body) };
  });
  replace(
    byId("spend-charts"),
    views.map((v) => v.card),
  );

  async function drawChart(v, since, until, refresh) {
    v.note.textContent = "";
    try {
      const data = await get(`/api/v1/spend/charts/${v.chart.name}`, {
        since,
        until,
        metric: state.metric,
        refresh: refresh || null,
      });
      if (!data.rows.length) {
        v.view.clear(
          h(
            "p",
            { class: "empty" },
            state.metric === "runs" ? "No queries in this period." : "Nothing billed in this period.",
          ),
        );
        return;
      }
      await v.view.draw(data, { type: "bar" });
      v.note.textContent = data.cached ? `As of ${fullTime(data.ran_at)}` : "";
    } catch (error) {
      v.view.clear(h("p", { class: "error-message" }, error.message));
    }
  }

  function show(refresh = false) {
    const { since, until } = periodDays(state.period);
    for (const v of views) drawChart(v, since, until, refresh);
    const from = new Date(`${since}T00:00`).toISOString();
    const to = new Date(new Date(`${until}T00:00`).getTime() + 86_400_000).toISOString();
    byId("spend-export").href = url("/api/v1/spend/export", {
      since: from,
      until: to,
      by: "day,user,connection",
    });
    showTop(from, to);
    showTotal(from, to);
    if (refresh) showBudgets();
  }

  const total = h("p", { class: "spend-total", "aria-live": "polite", "data-testid": "spend-total" });
  const zone = h("p", { class: "muted spend-zone", "data-testid": "spend-zone" });
  filters.append(total);
  filters.after(zone);

  /** Whose midnight the days and budgets follow; a user who set none may take the browser's
   * (once: then an admin changes it, as moving one's midnight would start a new day). */
  async function showZone(effective) {
    let me;
    try {
      ({ user: me } = await get("/api/v1/auth/me"));
    } catch {
      return;
    }
    const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (me.timezone) {
      replace(zone, `Days and budgets follow your time zone, ${me.timezone}.`);
      return;
    }
    const use = async () => {
      try {
        await patch("/api/v1/auth/me", { timezone: browser });
      } catch (error) {
        replace(zone, h("span", { class: "error-message" }, error.message));
        return;
      }
      show(true);
    };
    replace(
      zone,
      `Days and budgets follow the server's time zone, ${effective}. `,
      browser && browser !== effective
        ? h(
            "button",
            {
              type: "button",
              class: "link",
              "data-testid": "spend-use-zone",
              title: "You choose it once; after that an admin changes it.",
              onclick: use,
            },
            `Use yours, ${browser}`,
          )
        : null,
    );
  }

  async function showTotal(since, until) {
    try {
      const spend = await get("/api/v1/spend", { since, until, by: "" });
      const t = spend.total;
      const money = new Intl.NumberFormat(undefined, { style: "currency", currency: spend.currency });
      total.textContent = `${bytes(t.bytes_billed)} billed · ${money.format(t.cost)} · ${count(t.runs)} runs`;
      showZone(spend.timezone);
    } catch (error) {
      total.textContent = error.message;
    }
  }

  async function showTop(since, until) {
    const box = byId("spend-top");
    try {
      const top = await get("/api/v1/spend/top", { since, until, limit: TOP_LIMIT });
      replace(
        box,
        top.length ? topTable(top) : h("p", { class: "empty" }, "No query billed anything in this period."),
      );
    } catch (error) {
      replace(box, h("p", { class: "error-message" }, error.message));
    }
  }

  async function showBudgets() {
    const box = byId("spend-budgets");
    try {
      const budgets = await get("/api/v1/spend/budgets");
      replace(box, budgets.length ? budgetTable(budgets) : h("p", { class: "empty" }, "No budget applies."));
    } catch (error) {
      replace(box, h("p", { class: "error-message" }, error.message));
    }
  }

  show();
  showBudgets();
  if (page.admin) initTabs(initRules(byId("spend-rules")));
}

function table(head, rows, testid) {
  return h(
    "div",
    { class: "audit-scroll" },
    h(
      "table",
      { class: "audit-table spend-table", "data-testid": testid },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          head.map((t) => h("th", {}, t)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

function topTable(top) {
  return table(
    ["Submitted", "User", "Connection", "Where", "Billed", "Processed", "Cost", "SQL"],
    top.map((r) =>
      h(
        "tr",
        {},
        h("td", {}, fullTime(r.submitted_at)),
        h("td", {}, r.user),
        h("td", {}, r.connection),
        h("td", {}, r.dashboard || r.chart || r.surface),
        h("td", { class: "num" }, bytes(r.bytes_billed)),
        h("td", { class: "num" }, bytes(r.bytes_processed)),
        h("td", { class: "num" }, r.cost.toFixed(2)),
        h("td", {}, h("code", {}, snippet(r.sql, 100))),
      ),
    ),
    "spend-top-table",
  );
}

function budgetTable(budgets) {
  return table(
    ["Budget", "Connection", "Spent", "Left", "Used", "Resets"],
    budgets.map((b) =>
      h(
        "tr",
        { class: b.percent >= 100 ? "over" : b.percent >= 80 ? "near" : null },
        h("td", {}, b.text),
        h("td", {}, b.connection),
        h("td", { class: "num" }, bytes(b.spent)),
        h("td", { class: "num" }, bytes(b.left)),
        h(
          "td",
          { class: "num" },
          h("meter", { min: 0, max: 100, low: 80, high: 99, optimum: 0, value: Math.min(b.percent, 100) }),
          ` ${count(Math.round(b.percent))}%`,
        ),
        h("td", {}, b.resets),
      ),
    ),
    "spend-budget-table",
  );
}

/** Overview and Rules (admins): `?tab=rules` opens the rules. */
function initTabs(rules) {
  const tabs = [...document.querySelectorAll("#spend [role=tab]")];
  function choose(name) {
    for (const tab of tabs) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      byId(tab.getAttribute("aria-controls")).hidden = !on;
    }
    byId("spend-export").hidden = name !== "overview";
    if (name === "rules") rules.show();
  }
  for (const tab of tabs) tab.addEventListener("click", () => choose(tab.dataset.tab));
  choose(new URLSearchParams(location.search).get("tab") === "rules" ? "rules" : "overview");
}
