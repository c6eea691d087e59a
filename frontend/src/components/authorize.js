// Connections that query as each user (BigQuery `user_oauth`): the prompt shown wherever the
// server answers `authorization_required` (a full-page trip to Google and back to SQL Lab),
// and the user's authorizations (connected or not, disconnect).
import { del, get, url } from "../lib/api.js";
import { h } from "../lib/dom.js";
import { load, save } from "../lib/storage.js";

export const AUTHORIZATION_REQUIRED = "authorization_required";
const RETURNING_KEY = "sqllab.authorizing";

/** Whether an error (an ApiError, or a run's {code, message}) asks the user to authorize. */
export const needsAuthorization = (error) => error?.code === AUTHORIZATION_REQUIRED;

/** The connection and the address to authorize it, from the error's body (or its run). */
function detailsOf(error, connection) {
  const body = error?.body?.error || error || {};
  const name = body.connection || connection || "";
  const address =
    body.authorize_url ||
    url("/auth/warehouse/start", { connection: name, next: location.pathname || "/sqllab" });
  return { name, address };
}

/** Remember, across the trip to Google, which connection is being authorized. */
function leaving(connection) {
  save(RETURNING_KEY, connection);
}

/** Go to Google to authorize a connection (the page leaves; SQL Lab keeps its text). */
export function startAuthorization(address, connection) {
  leaving(connection);
  location.assign(address);
}

/**
 * The connection whose authorization the user left to give (before the page reloaded), once:
 * the caller says whether it worked.
 */
export function returningFrom() {
  const name = load(RETURNING_KEY);
  save(RETURNING_KEY, null);
  return name;
}

/**
 * The link that starts the authorization of the connection an error (or `connection`) names:
 * a button to look at, a full-page navigation to Google and back.
 */
export function connectLink(
  error,
  connection = null,
  { label = "Connect your Google account", compact } = {},
) {
  const { name, address } = detailsOf(error, connection);
  return h(
    "a",
    {
      href: address,
      class: `button ${compact ? "small" : "primary"}`,
      "data-testid": "authorize-link",
      onclick: () => leaving(name),
    },
    label,
  );
}

/**
 * The prompt for an `authorization_required` error: what is needed and the link to do it.
 * `compact` fits the schema sidebar; `connection` names it when the error does not.
 */
export function authorizationPrompt(error, { connection = null, compact = false } = {}) {
  const { name } = detailsOf(error, connection);
  return h(
    "div",
    {
      class: `authorize-prompt${compact ? " compact" : ""}`,
      role: "status",
      "data-testid": "authorize-prompt",
      dataset: { connection: name },
    },
    h("div", { class: "authorize-icon", "aria-hidden": "true" }, "G"),
    h(
      "div",
      { class: "authorize-body" },
      h("p", { class: "authorize-title" }, `${name || "This connection"} queries as you`),
      h(
        "p",
        { class: "authorize-message" },
        error?.message || `Connect your Google account to query ${name}.`,
      ),
      !compact &&
        h(
          "p",
          { class: "authorize-help muted" },
          "BigQuery sees your own account, with your own access. You allow it once at Google, then come back here.",
        ),
      connectLink(error, name, { compact }),
    ),
  );
}

/** Your authorizations of per-user connections: {connection → {authorized, authorize_url}}. */
export async function listAuthorizations() {
  const found = await get("/api/v1/me/authorizations");
  return new Map(found.map((a) => [a.connection, a]));
}

/** Forget your grant to a connection (you will be asked again). */
export const disconnect = (connection) => del(`/api/v1/me/authorizations/${encodeURIComponent(connection)}`);
