// SQL Lab's query tabs as data: each tab's title, connection, SQL, cursor, last run and the
// runs it made. Pure functions returning new states (no DOM, no storage), so they are tested
// with node --test; pages/sqllab.js keeps the state in local storage per user.

/** Most tabs kept open, and most runs each tab remembers for its history. */
export const MAX_TABS = 20;
export const MAX_RUNS = 50;
export const MAX_TITLE = 80;

const text = (value, fallback = "") => (typeof value === "string" ? value : fallback);
const position = (value) => (Number.isInteger(value) && value >= 0 ? value : null);

/** "Query N": the first N no open tab is called. */
export function nextTitle(tabs) {
  const taken = new Set(tabs.map((tab) => tab.title));
  let n = 1;
  while (taken.has(`Query ${n}`)) n += 1;
  return `Query ${n}`;
}

/** A tab title as typed: one line, trimmed, cut; null when nothing is left. */
export function cleanTitle(title) {
  const clean = text(title).replace(/\s+/g, " ").trim().slice(0, MAX_TITLE).trim();
  return clean || null;
}

function newId(tabs) {
  const used = new Set(tabs.map((tab) => tab.id));
  let n = tabs.length + 1;
  while (used.has(`t${n}`)) n += 1;
  return `t${n}`;
}

/** A tab checked field by field (storage may hold anything); null if it is not a tab. */
function tabOf(raw) {
  if (!raw || typeof raw !== "object" || typeof raw.id !== "string" || !raw.id) return null;
  return {
    id: raw.id,
    title: cleanTitle(raw.title) || "Query",
    connection: text(raw.connection, null) || null,
    sql: text(raw.sql),
    anchor: position(raw.anchor),
    head: position(raw.head),
    runId: text(raw.runId, null) || null,
    runs: Array.isArray(raw.runs) ? raw.runs.filter((r) => typeof r === "string").slice(-MAX_RUNS) : [],
    savedId: Number.isInteger(raw.savedId) ? raw.savedId : null,
  };
}

/**
 * The tabs kept in storage (`raw`, parsed JSON or null), or one tab made of `first`
 * ({sql, connection}: what the single editor of old kept) when there are none.
 */
export function readTabs(raw, first = {}) {
  const seen = new Set();
  const tabs = (Array.isArray(raw?.tabs) ? raw.tabs : [])
    .map(tabOf)
    .filter((tab) => tab && !seen.has(tab.id) && seen.add(tab.id))
    .slice(0, MAX_TABS);
  if (tabs.length === 0) {
    const tab = tabOf({ id: "t1", title: "Query 1", sql: text(first.sql), connection: first.connection });
    return { tabs: [tab], active: tab.id };
  }
  const active = tabs.some((tab) => tab.id === raw.active) ? raw.active : tabs[0].id;
  return { tabs, active };
}

/** The state with a new tab ({title, connection, sql}) after the others, and active. */
export function addTab(state, fields = {}) {
  const tab = tabOf({
    id: newId(state.tabs),
    title: cleanTitle(fields.title) || nextTitle(state.tabs),
    connection: fields.connection,
    sql: fields.sql,
  });
  const tabs = [...state.tabs, tab];
  // Past the limit the oldest tabs go (the new one is what the user asked for).
  return { tabs: tabs.slice(-MAX_TABS), active: tab.id };
}

/** The state without tab `id`; its neighbour becomes active; never no tab at all. */
export function closeTab(state, id) {
  const at = state.tabs.findIndex((tab) => tab.id === id);
  if (at < 0) return state;
  const tabs = state.tabs.filter((tab) => tab.id !== id);
  if (tabs.length === 0) return addTab({ tabs: [], active: null });
  const active = state.active === id ? tabs[Math.min(at, tabs.length - 1)].id : state.active;
  return { tabs, active };
}

/** The state with tab `id` changed by `fields` (a title is cleaned; an empty one is ignored). */
export function updateTab(state, id, fields) {
  const tabs = state.tabs.map((tab) => {
    if (tab.id !== id) return tab;
    const next = { ...tab, ...fields };
    if ("title" in fields) next.title = cleanTitle(fields.title) || tab.title;
    return next;
  });
  return { ...state, tabs };
}

/** The state with run `runId` as tab `id`'s last run, in its history. */
export function recordRun(state, id, runId) {
  const tab = state.tabs.find((t) => t.id === id);
  if (!tab || !runId) return state;
  const runs = [...tab.runs.filter((r) => r !== runId), runId].slice(-MAX_RUNS);
  return updateTab(state, id, { runId, runs });
}

export const activeTab = (state) => state.tabs.find((tab) => tab.id === state.active) || state.tabs[0];
