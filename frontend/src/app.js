// Entry point: reads the page data the server embeds and starts that page's module. The pages
// that draw charts are loaded on demand (they bring Vega and gridstack, which are big).
import "./styles.css";
import "gridstack/dist/gridstack.min.css";
import "./charts.css";
import * as audit from "./audit.js";
import * as charts from "./charts.js";
import * as connections from "./connections.js";
import * as dashboards from "./dashboards.js";
import * as docs from "./docs.js";
import * as login from "./login.js";
import * as nav from "./nav.js";
import * as sqllab from "./sqllab.js";
import * as users from "./users.js";

const PAGES = { login, sqllab, connections, audit, users, charts, dashboards, api_docs: docs };
const LAZY_PAGES = {
  explore: () => import("./explore.js"),
  dashboard: () => import("./dashboard.js"),
};

const data = JSON.parse(document.getElementById("page-data")?.textContent || "{}");
const page = data.page || {};
const user = data.user || null;
nav.init();
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
