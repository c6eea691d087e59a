// Entry point: reads the page data the server embeds and starts that page's module.
import "./styles.css";
import * as audit from "./audit.js";
import * as connections from "./connections.js";
import * as docs from "./docs.js";
import * as login from "./login.js";
import * as nav from "./nav.js";
import * as sqllab from "./sqllab.js";
import * as users from "./users.js";

const PAGES = { login, sqllab, connections, audit, users, api_docs: docs };

const data = JSON.parse(document.getElementById("page-data")?.textContent || "{}");
const page = data.page || {};
nav.init();
PAGES[page.name]?.init(page, data.user || null);
