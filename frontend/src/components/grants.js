// Your authorizations of per-user connections (BigQuery `user_oauth`), shown under SQL Lab's
// connection picker: connected or not, with a menu to connect, reconnect or disconnect; and the
// word of welcome when you come back from Google.
import {
  connectLink,
  disconnect,
  listAuthorizations,
  returningFrom,
  startAuthorization,
} from "./authorize.js";
import { h, replace } from "../lib/dom.js";
import { openMenu } from "./menu.js";

/**
 * The indicator in `node`. `notice` is where a message goes (the results' notice line);
 * onDisconnected(name) runs once your grant to a connection is forgotten.
 */
export function createGrants(node, { notice, onDisconnected }) {
  let grants = new Map(); // connection name -> {authorized, authorize_url}
  let shown = null; // the connection shown

  function menu(anchor, connection, grant) {
    openMenu(
      anchor,
      [
        !grant.authorized && {
          label: "Connect your Google account",
          hint: "at Google, then back here",
          testid: "identity-connect",
          onSelect: () => startAuthorization(grant.authorize_url, connection.name),
        },
        grant.authorized && {
          label: "Reconnect",
          hint: "authorize again at Google",
          testid: "identity-reconnect",
          onSelect: () => startAuthorization(grant.authorize_url, connection.name),
        },
        grant.authorized && {
          label: "Disconnect",
          hint: "forget your authorization of this connection",
          testid: "identity-disconnect",
          onSelect: () => forget(connection),
        },
      ],
      { label: `Your account on ${connection.name}` },
    );
  }

  async function forget(connection) {
    try {
      await disconnect(connection.name);
    } catch (error) {
      replace(notice, h("p", { class: "notice warning" }, `Could not disconnect: ${error.message}`));
      return;
    }
    mark(connection.name, false);
    onDisconnected(connection.name);
  }

  function mark(name, authorized) {
    if (!grants.has(name)) return;
    grants.set(name, { ...grants.get(name), authorized });
    if (shown?.name === name) show(shown);
  }

  /** The line for a connection: for a per-user one, as whom it runs. */
  function show(connection) {
    shown = connection;
    const grant = connection && grants.get(connection.name);
    if (grant) {
      node.hidden = false;
      replace(
        node,
        h(
          "button",
          {
            type: "button",
            class: `identity-chip ${grant.authorized ? "authorized" : "missing"}`,
            "data-testid": "identity-chip",
            "aria-haspopup": "menu",
            "aria-expanded": "false",
            title: grant.authorized
              ? `Queries on ${connection.name} run as your Google account.`
              : `Connect your Google account to query ${connection.name}.`,
            onclick: (event) => menu(event.currentTarget, connection, grant),
          },
          h("span", { class: "dot", "aria-hidden": "true" }),
          grant.authorized ? "Your Google account: connected" : "Your Google account: not connected",
          h("span", { class: "caret-down", "aria-hidden": "true" }, "▾"),
        ),
      );
    } else if (connection?.options?.identity === "impersonation") {
      node.hidden = false;
      replace(
        node,
        h(
          "span",
          {
            class: "identity-chip info",
            title: "Belvedere runs your queries as a service account chosen for you (or your group).",
          },
          h("span", { class: "dot", "aria-hidden": "true" }),
          "Runs as a service account for you",
        ),
      );
    } else {
      node.hidden = true;
      replace(node);
    }
  }

  return {
    show,

    /** Fetch your authorizations (none known if that fails: prompts still come when needed). */
    async load() {
      try {
        grants = await listAuthorizations();
      } catch {
        grants = new Map();
      }
    },

    /** Whether queries on a connection run as each user (not as the connection's account). */
    perUser(connection) {
      const identity = connection.options?.identity;
      return grants.has(connection.name) || identity === "user_oauth" || identity === "impersonation";
    },

    /** The server said a connection needs your authorization (again). */
    revoked(name) {
      mark(name, false);
    },

    /** Back from Google (the page just loaded): say whether the connection is authorized now. */
    welcomeBack() {
      const name = returningFrom();
      const grant = name && grants.get(name);
      if (!grant) return;
      replace(
        notice,
        grant.authorized
          ? h(
              "p",
              { class: "notice success", role: "status", "data-testid": "authorized-notice" },
              `Your Google account is connected: queries on ${name} run as you.`,
            )
          : h(
              "p",
              { class: "notice warning", role: "status" },
              `${name} is still not authorized. `,
              connectLink({ authorize_url: grant.authorize_url }, name, {
                compact: true,
                label: "Try again",
              }),
            ),
      );
    },
  };
}
