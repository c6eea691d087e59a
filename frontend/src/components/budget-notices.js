// Budget alerts in the app: below the top bar, each notice of a current period (your budgets,
// your groups'; an admin's: everyone's) at 80% or 100%, until you dismiss it. The answer is
// kept in this tab's sessionStorage for a minute (per user), so moving between pages reads it
// once.
import { get } from "../lib/api.js";
import { h, replace } from "../lib/dom.js";
import { load, save } from "../lib/storage.js";

const DISMISSED = "budget-notices.dismissed";
const SHOWN = 3;
/** sessionStorage key of the answer kept for a user (+ their username). */
const KEPT = "belvedere.budget-notices.answer.";
const KEPT_MS = 60_000;

/** The notices not dismissed yet, fullest first, at most `SHOWN` (and how many more). */
export function toShow(notices, dismissed) {
  const open = notices
    .filter((n) => !dismissed.includes(n.id))
    .sort((a, b) => b.level - a.level || b.spent / b.budget - a.spent / a.budget);
  return { shown: open.slice(0, SHOWN), more: Math.max(0, open.length - SHOWN) };
}

function dismissedIds() {
  try {
    const ids = JSON.parse(load(DISMISSED, "[]"));
    return Array.isArray(ids) ? ids : [];
  } catch {
    return [];
  }
}

/** The notices of a kept answer (`text`, as stored) if it was read less than a minute before
 * `now` (ms), else null. */
export function keptNotices(text, now) {
  try {
    const kept = JSON.parse(text);
    const age = now - kept.at;
    if (Array.isArray(kept.notices) && age >= 0 && age < KEPT_MS) return kept.notices;
  } catch {
    // nothing kept, or not ours: read the notices again
  }
  return null;
}

/** The current notices: kept in this tab for a minute per user, else asked of the server. */
async function readNotices(user) {
  const key = user?.username ? KEPT + user.username : null;
  let kept = null;
  try {
    if (key) kept = keptNotices(sessionStorage.getItem(key), Date.now());
  } catch {
    // storage is a convenience
  }
  if (kept) return kept;
  const notices = await get("/api/v1/me/budget-notices");
  try {
    if (key) sessionStorage.setItem(key, JSON.stringify({ at: Date.now(), notices }));
  } catch {
    // storage is a convenience
  }
  return notices;
}

/** Show the alerts of `user` (the page data's) right after the element `after` (the top bar). */
export async function showBudgetNotices(after, user) {
  let notices;
  try {
    notices = await readNotices(user);
  } catch {
    return; // an alert that cannot be read must not break the page
  }
  const box = h("div", { class: "budget-notices", "data-testid": "budget-notices" });
  const render = () => {
    const dismissed = dismissedIds();
    const { shown, more } = toShow(notices, dismissed);
    const dismiss = (id) => {
      // Only ids of current notices are kept, so the list never grows.
      const current = new Set(notices.map((n) => n.id));
      save(DISMISSED, JSON.stringify([...dismissed.filter((d) => current.has(d)), id]));
      render();
    };
    replace(
      box,
      shown.map((n) =>
        h(
          "p",
          {
            class: `notice ${n.level >= 100 ? "danger" : "warning"}`,
            role: "status",
            "data-testid": "budget-notice",
          },
          n.message,
          " ",
          location.pathname === "/spend" ? null : h("a", { href: "/spend" }, "See the spend"),
          h(
            "button",
            {
              type: "button",
              class: "link dismiss",
              title: "Dismiss this alert",
              "aria-label": "Dismiss this alert",
              onclick: () => dismiss(n.id),
            },
            "×",
          ),
        ),
      ),
      more ? h("p", { class: "notice warning more" }, `${more} more budget alerts on the Spend page.`) : null,
    );
    box.hidden = shown.length === 0;
  };
  render();
  after.after(box);
}
