// Entry point: reads the page data the server embeds and starts that page's module. The pages
// that draw charts are loaded on demand (they bring Vega and gridstack, which are big), and so
// is the Schedules page (with the words of cron expressions).
import "./app.css";
import * as audit from "./pages/audit.js";
import * as charts from "./pages/charts.js";
import * as connections from "./pages/connections.js";
import * as dashboards from "./pages/dashboards.js";
import * as docs from "./pages/docs.js";
import * as home from "./pages/home.js";
import * as login from "./pages/login.js";
import * as nav from "./components/nav.js";
import * as sqllab from "./pages/sqllab.js";
import * as users from "./pages/users.js";

const PAGES = { login, home, sqllab, connections, audit, users, charts, dashboards, api_docs: docs };
const LAZY_PAGES = {
  explore: () => import("./pages/explore.js"),
  dashboard: () => import("./pages/dashboard.js"),
  schedules: () => import("./pages/schedules.js"),
  spend: () => import("./pages/spend.js"),
};

const data = JSON.parse(document.getElementById("page-data")?.textContent || "{}");
const page = data.page || {};
const user = data.user || null;
nav.init(user);
if (PAGES[page.name]) PAGES[page.name].init(page, user);
else if (LAZY_PAGES[page.name]) start(LAZY_PAGES[page.name]);
// The page's controls answer from here on (tests wait for this before clicking).
document.documentElement.dataset.ready = "true";

/** Load a page's module, then start it; say so in the page if it cannot load. */
async function start(load) {
  let module;
  try {
    module = await load();
  } catch (error) {
    const main = document.getElementById("main");
    const notice = document.createElement("p");
    notice.className = "notice warning";
    notice.setAttribute("role", "alert");
    notice.textContent = `This page could not load its code (${error.message}). Reload the page to try again.`;
    main?.prepend(notice);
    return;
  }
  module.init(page, user);
}
