// Saved queries in SQL Lab: the Save dialog (Ctrl/Cmd+S), the query open in the editor (its
// name in the toolbar, "edited" once the text differs), and the Saved panel listing yours and
// the shared ones (open, run, edit, share, schedule, delete). Opening a query never loses the editor's
// unsaved text: it is kept as a draft the panel offers to restore. The panel and the title are
// renders of the state (lit-html); dialogs and menus are built when opened.
import { html, nothing, render as draw } from "lit-html";
import { del, get, patch, post } from "../lib/api.js";
import { openDetailsDialog, openSaveDialog } from "./saved-dialogs.js";
import { h, replace } from "../lib/dom.js";
import { fullTime, snippet, when } from "../lib/format.js";
import { openMenu } from "./menu.js";
import { favouriteStar } from "./favourite-star.js";
import { load, save } from "../lib/storage.js";

const API = "/api/v1/saved-queries";
const CURRENT_KEY = "sqllab.saved";
const DRAFT_KEY = "sqllab.draft";
const FLASH_MS = 2500;

const path = (saved) => `${API}/${encodeURIComponent(saved.id)}`;

function badges(saved) {
  if (!saved.mine)
    return html`<span class="pill shared" title=${`Shared by ${saved.owner}`}>Shared by ${saved.owner}</span
      ><span class="pill read-only" title="Someone else's: you can run it or save a copy">Read-only</span>`;
  return saved.shared
    ? html`<span class="pill shared" title="Shared with everyone who runs SQL">Shared</span>`
    : html`<span class="pill private" title="Only you see it">Private</span>`;
}

const IS_MAC = /Mac|iPhone|iPad/.test(navigator.platform);
const EDITED = html`<span class="edited" title="The editor's text differs from the saved one">edited</span>`;

function readDraft() {
  try {
    const draft = JSON.parse(load(DRAFT_KEY, "null"));
    return draft && typeof draft.sql === "string" ? draft : null;
  } catch {
    return null;
  }
}

/**
 * The saved queries of SQL Lab. `ui`: the panel, the Save button and the title in the toolbar.
 * `deps`: the editor, connection() (the picked connection's name), selectConnection(name)
 * (false when it is not available), run(saved) to run one, busy() while a run goes on.
 */
export function createSaved(ui, { editor, connection, selectConnection, run, busy }) {
  let items = [];
  let loaded = false;
  let loading = false;
  let error = null;
  let current = null; // the saved query open in the editor
  let needle = "";
  let flashTimer = null;
  let wasEdited = false;
  let linked = false; // a link opened a saved query: the one open before the reload is not restored
  let using = 0; // counts the tabs shown: a late answer for an earlier one is dropped

  const filter = h("input", {
    type: "search",
    placeholder: "Filter saved queries",
    "aria-label": "Filter saved queries",
    autocomplete: "off",
    oninput: () => {
      needle = filter.value.trim().toLowerCase();
      render();
    },
  });
  const notice = h("div", { class: "saved-notice", "aria-live": "polite" });
  const body = h("div", { class: "saved-body" });
  replace(
    ui.panel,
    h(
      "div",
      { class: "saved-head" },
      filter,
      h("button", { type: "button", class: "primary", onclick: () => openSave() }, "Save current query…"),
    ),
    notice,
    body,
  );

  // ----- the query open in the editor

  function setCurrent(saved) {
    current = saved;
    save(CURRENT_KEY, saved ? saved.id : null);
    renderTitle();
    render();
  }

  function edited() {
    return Boolean(current) && editor.text() !== current.sql;
  }

  /** The toolbar's title of the open query, with a passing `status` ("Saved", a warning). */
  function renderTitle(status = null, warning = false) {
    wasEdited = edited();
    const said = status
      ? html`<span class=${`saved-status${warning ? " warning" : ""}`} role="status">${status}</span>`
      : nothing;
    ui.title.hidden = !current && !status;
    if (!current) return draw(said, ui.title);
    const title = [current.name, current.description].filter(Boolean).join("\n\n");
    draw(
      html`<span class="saved-icon" aria-hidden="true">☆</span
        ><span class="saved-name" data-testid="saved-name" title=${title}>${current.name}</span
        >${badges(current)}${wasEdited ? EDITED : nothing}${said}<button
          type="button"
          class="link close"
          title="Stop editing this saved query (the text stays)"
          aria-label="Close the saved query"
          @click=${() => setCurrent(null)}
        >×</button>`,
      ui.title,
    );
  }

  function flash(message, warning = false) {
    clearTimeout(flashTimer);
    renderTitle(message, warning);
    flashTimer = setTimeout(() => renderTitle(), FLASH_MS);
  }

  function say(kind, ...children) {
    replace(
      notice,
      h("p", { class: `notice ${kind}`, role: kind === "warning" ? "alert" : "status" }, children),
    );
  }

  // ----- drafts: unsaved text kept when a saved query replaces it

  function unsaved(text) {
    return text.trim() !== "" && (!current || text !== current.sql);
  }

  function keepDraft(replacement) {
    const text = editor.text();
    if (!unsaved(text) || text === replacement) return;
    save(DRAFT_KEY, JSON.stringify({ sql: text, connection: connection(), at: new Date().toISOString() }));
  }

  function restoreDraft() {
    const draft = readDraft();
    if (!draft || busy()) return;
    save(DRAFT_KEY, null);
    keepDraft(draft.sql); // the text it replaces becomes the draft in turn
    if (draft.connection) selectConnection(draft.connection);
    editor.setText(draft.sql);
    setCurrent(null);
    replace(notice);
    editor.focus();
  }

  function draftNotice() {
    const draft = readDraft();
    if (!draft) return nothing;
    const discard = () => {
      save(DRAFT_KEY, null);
      render();
    };
    return html`<div class="notice info draft" data-testid="saved-draft"
      ><span>Your unsaved text from <time title=${fullTime(draft.at)}>${when(draft.at)}</time> was kept: </span
      ><code class="sql">${snippet(draft.sql, 80)}</code
      ><button type="button" class="small" @click=${restoreDraft}>Restore</button
      ><button type="button" class="link" @click=${discard}>Discard</button></div
    >`;
  }

  // ----- open, run

  /** Load a saved query into the editor (and pick its connection); false if it could not. */
  function openQuery(saved) {
    if (busy()) {
      say("warning", "A query is running: wait for it to end, or cancel it, then open this one.");
      return false;
    }
    keepDraft(saved.sql);
    const known = selectConnection(saved.connection);
    editor.setText(saved.sql);
    setCurrent(saved);
    replace(notice);
    if (!known) {
      say("warning", `The connection “${saved.connection}” of “${saved.name}” is not available to you.`);
    }
    editor.focus();
    return true;
  }

  function runQuery(saved) {
    if (openQuery(saved)) run(saved);
  }

  // ----- save, edit, share, delete

  function upsert(saved) {
    const at = items.findIndex((s) => s.id === saved.id);
    if (at >= 0) items[at] = saved;
    else items.push(saved);
    items.sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
  }

  /** The Save dialog (the toolbar button, Ctrl/Cmd+S): changes yours, or saves a new one. */
  function openSave() {
    const on = connection();
    if (!editor.text().trim()) return flash("Nothing to save: the editor is empty", true);
    if (!on) return flash("Pick a connection first: a saved query remembers it", true);
    const mine = current?.mine ? current : null;
    openSaveDialog(current, on, async (fields, how) => {
      const body = { ...fields, sql: editor.text(), connection: on };
      const saved = how === "update" && mine ? await patch(path(mine), body) : await post(API, body);
      upsert(saved);
      setCurrent(saved);
      flash(how === "update" ? "Saved" : "Saved as new");
    });
  }

  function editDetails(saved) {
    openDetailsDialog(saved, async (fields) => {
      const changed = await patch(path(saved), fields);
      upsert(changed);
      if (current?.id === changed.id) setCurrent({ ...changed });
      else render();
    });
  }

  async function setShared(saved, shared) {
    try {
      const changed = await patch(path(saved), { shared });
      upsert(changed);
      if (current?.id === changed.id) setCurrent(changed);
      else render();
      say(
        "success",
        shared
          ? `“${saved.name}” is shared with everyone who runs SQL.`
          : `“${saved.name}” is private again.`,
      );
    } catch (e) {
      say("warning", `Could not change “${saved.name}”: ${e.message}`);
    }
  }

  async function remove(saved) {
    if (!confirm(`Delete the saved query “${saved.name}”? This cannot be undone.`)) return;
    try {
      await del(path(saved));
    } catch (e) {
      say("warning", `Could not delete “${saved.name}”: ${e.message}`);
      return;
    }
    items = items.filter((s) => s.id !== saved.id);
    if (current?.id === saved.id) setCurrent(null);
    else render();
    say("success", `Deleted “${saved.name}”.`);
  }

  /** The Schedule dialog (loaded when first asked for: it brings the words of cron). */
  async function schedule(saved) {
    const { openScheduleDialog } = await import("./schedule-dialog.js");
    openScheduleDialog({
      target: { kind: "saved_query", id: saved.id, name: saved.name },
      connections: [saved.connection],
    });
  }

  function menu(anchor, saved) {
    openMenu(
      anchor,
      [
        { label: "Open", hint: "in the editor", onSelect: () => openQuery(saved) },
        {
          label: "Run",
          hint: `on ${saved.connection}`,
          testid: "saved-menu-run",
          onSelect: () => runQuery(saved),
        },
        {
          label: "Schedule…",
          hint: "e-mail it, or alert on it",
          testid: "saved-menu-schedule",
          onSelect: () => schedule(saved),
        },
        "-",
        saved.mine && {
          label: "Edit details…",
          hint: "name, description, sharing",
          testid: "saved-menu-edit",
          onSelect: () => editDetails(saved),
        },
        saved.mine && {
          label: saved.shared ? "Make private" : "Share",
          hint: saved.shared ? "only you will see it" : "everyone who runs SQL sees it",
          testid: "saved-menu-share",
          onSelect: () => setShared(saved, !saved.shared),
        },
        saved.mine && { label: "Delete…", testid: "saved-menu-delete", onSelect: () => remove(saved) },
        !saved.mine && {
          label: "Save a copy…",
          hint: "yours to change",
          testid: "saved-menu-copy",
          onSelect: () => openQuery(saved) && openSave(),
        },
      ],
      { label: `Actions for ${saved.name}` },
    );
  }

  // ----- the panel

  function item(saved) {
    const actionsTitle = saved.mine ? "Edit, share, delete…" : "Open, run, save a copy…";
    const description = saved.description
      ? html`<div class="description">${saved.description}</div>`
      : nothing;
    return html`<li
      class="saved-item"
      data-testid="saved-item"
      data-saved-id=${saved.id}
      data-mine=${String(saved.mine)}
      aria-current=${current?.id === saved.id ? "true" : nothing}
    ><button type="button" class="saved-open" title="Open in the editor" @click=${() => openQuery(saved)}
      ><div class="meta"
        ><span class="name">${saved.name}</span>${badges(saved)}<span class="connection">${saved.connection}</span
        ><time datetime=${saved.updated_at} title=${`Changed ${fullTime(saved.updated_at)}`}
          >${when(saved.updated_at)}</time
        ></div
      >${description}<code class="sql">${snippet(saved.sql)}</code></button
    ><div class="saved-actions"
      >${favouriteStar("saved_query", saved.id, saved.favourite, {
        name: saved.name,
        onChange: (on) => (saved.favourite = on),
      })}<button type="button" class="small" title=${`Run it on ${saved.connection}`} @click=${() => runQuery(saved)}
        >Run</button
      ><button
        type="button"
        class="icon small"
        aria-label=${`Actions for ${saved.name}`}
        aria-haspopup="menu"
        aria-expanded="false"
        title=${actionsTitle}
        @click=${(event) => menu(event.currentTarget, saved)}
      >⋯</button></div
    ></li>`;
  }

  function group(title, list, testid) {
    if (!list.length) return nothing;
    return html`<h3 class="saved-group">${title}<span class="muted"> ${list.length}</span></h3
      ><ul class="saved-list" data-testid=${testid}>${list.map(item)}</ul>`;
  }

  function content() {
    const shown = needle
      ? items.filter((s) =>
          [s.name, s.description, s.sql, s.connection].some((t) => t.toLowerCase().includes(needle)),
        )
      : items;
    if (error) return html`<p class="error-message empty">${error}</p>`;
    if (!loaded) return html`<p class="empty">Loading…</p>`;
    if (!items.length)
      return html`<p class="empty"
        >No saved queries yet. Write a query and press <kbd>${IS_MAC ? "⌘ S" : "Ctrl+S"}</kbd> to save it.</p
      >`;
    if (!shown.length) return html`<p class="empty">Nothing matches “${filter.value.trim()}”.</p>`;
    return [
      group(
        "Yours",
        shown.filter((s) => s.mine),
        "saved-mine",
      ),
      group(
        "Shared by others",
        shown.filter((s) => !s.mine),
        "saved-theirs",
      ),
    ];
  }

  function render() {
    draw(html`${draftNotice()}${content()}`, body);
  }

  async function refresh() {
    if (loading) return;
    loading = true;
    try {
      items = await get(API);
      error = null;
      loaded = true;
      if (current) {
        const fresh = items.find((s) => s.id === current.id);
        if (fresh) current = fresh;
        renderTitle();
      }
    } catch (e) {
      error = `Could not list the saved queries: ${e.message}`;
    } finally {
      loading = false;
    }
    render();
  }

  /** The saved query that was open before the page reloaded (its text is in the editor). */
  async function restore() {
    const id = load(CURRENT_KEY);
    if (!id || linked) return;
    let found = null;
    try {
      found = await get(`${API}/${encodeURIComponent(id)}`);
    } catch {
      found = null; // deleted, or no longer shared
    }
    if (linked) return;
    current = found;
    if (!found) save(CURRENT_KEY, null);
    renderTitle();
  }

  ui.save.addEventListener("click", () => openSave());
  render();
  restore();

  return {
    refresh,
    openSave,
    /** The editor's text changed: the title says whether it differs from the saved one. */
    changed() {
      if (current && edited() !== wasEdited) renderTitle();
    },
    /**
     * Something else replaces the editor's text with `replacement` (a run from the history, a
     * table's query): unsaved text is kept as the draft, and no saved query stays open.
     */
    replacing(replacement) {
      keepDraft(replacement);
      if (current) setCurrent(null);
      else render();
    },
    current: () => current,
    /** Another query tab shows: its saved query (an id, or null) is the one open. */
    async use(id) {
      const mine = ++using;
      if (!id) return setCurrent(null);
      let found = items.find((s) => s.id === id) || null;
      if (!found) found = await get(`${API}/${encodeURIComponent(id)}`).catch(() => null);
      if (mine === using) setCurrent(found);
    },
    /** Open a saved query in the editor, as a link to it asks (`/sqllab?saved=<id>`). */
    open(saved) {
      linked = true;
      return openQuery(saved);
    },
  };
}
