// The star that adds an item (a chart, a dashboard, a saved query) to your favourites, shown on
// the Home page. favouriteStar() returns a DOM node (a <button>), not a lit-html template: h()
// takes it as a child, and so does a lit-html template (`${favouriteStar(...)}`). It toggles
// itself: PUT /api/v1/me/favourites/{kind}/{id} to star, DELETE to unstar, and goes back (with
// a tooltip saying why) when the server refuses.
import { request } from "../lib/api.js";
import { h } from "../lib/dom.js";

export const KINDS = ["chart", "dashboard", "saved_query"];
const NOUN = { chart: "chart", dashboard: "dashboard", saved_query: "saved query" };

/** The API path of one favourite. */
export function favouritePath(kind, id) {
  return `/api/v1/me/favourites/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
}

/**
 * A star button for the item `id` of `kind` ("chart" | "dashboard" | "saved_query"), filled when
 * `starred`. Options: `name` (the item's name, for the button's label), `onChange(starred)`
 * called once the server agreed.
 */
export function favouriteStar(kind, id, starred, { name = "", onChange = null } = {}) {
  if (!KINDS.includes(kind)) throw new Error(`Unknown favourite kind: ${kind}`);
  let on = Boolean(starred);
  let busy = false;
  const what = name ? `${name}` : `this ${NOUN[kind]}`;
  const button = h("button", {
    type: "button",
    class: "favourite-star",
    "data-testid": "favourite-star",
    "data-kind": kind,
    "data-id": String(id),
    onclick: async (event) => {
      event.preventDefault();
      event.stopPropagation();
      if (busy) return;
      busy = true;
      button.dataset.busy = "true";
      const wanted = !on;
      show(wanted);
      try {
        await request(wanted ? "PUT" : "DELETE", favouritePath(kind, id));
        on = wanted;
        button.removeAttribute("data-error");
        onChange?.(on);
      } catch (error) {
        show(on);
        button.dataset.error = "true";
        button.title = `Could not ${wanted ? "star" : "unstar"} ${what}: ${error.message}`;
      } finally {
        busy = false;
        delete button.dataset.busy;
      }
    },
  });

  function show(value) {
    button.textContent = value ? "★" : "☆";
    button.setAttribute("aria-pressed", value ? "true" : "false");
    button.setAttribute("aria-label", `Favourite: ${what}`);
    button.title = value ? `Remove ${what} from your favourites` : `Add ${what} to your favourites (on Home)`;
    button.classList.toggle("on", value);
  }

  show(on);
  return button;
}
