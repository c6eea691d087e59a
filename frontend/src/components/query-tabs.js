// SQL Lab's strip of query tabs: pick one, add one (+), close one (×, or a middle click),
// rename one (double-click its title: Enter keeps the name, Escape drops it). A render of the
// tabs' state (lib/query-tabs.js) with lit-html; pages/sqllab.js owns the state.
import { html, nothing, render } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { MAX_TITLE } from "../lib/query-tabs.js";

/**
 * The strip in `root`. onSelect(id), onAdd(), onClose(id), onRename(id, title). Returns
 * {render(state, runningId)}: `runningId` is the tab whose query runs (marked), or null.
 */
export function createQueryTabs(root, { onSelect, onAdd, onClose, onRename }) {
  let state = { tabs: [], active: null };
  let running = null;
  let editing = null; // the id of the tab being renamed

  function startRename(id) {
    editing = id;
    draw();
    const input = root.querySelector(".query-tab-rename");
    input?.focus();
    input?.select();
  }

  function endRename(input, keep) {
    if (editing === null) return;
    const id = editing;
    editing = null;
    if (keep) onRename(id, input.value);
    draw();
  }

  function renameKey(event) {
    if (event.key === "Enter") {
      event.preventDefault();
      endRename(event.target, true);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      endRename(event.target, false);
    }
  }

  /** Arrow keys move between tabs (the tablist pattern). */
  function tabKey(event, index) {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const next = state.tabs[(index + step + state.tabs.length) % state.tabs.length];
    onSelect(next.id);
    root.querySelector(`[data-tab-id="${next.id}"] .query-tab-title`)?.focus();
  }

  const tab = (item, index) => {
    const selected = item.id === state.active;
    const title =
      editing === item.id
        ? html`<input
            class="query-tab-rename"
            aria-label="Tab name"
            maxlength=${MAX_TITLE}
            .value=${item.title}
            @keydown=${renameKey}
            @blur=${(event) => endRename(event.target, true)}
          />`
        : html`<button
            type="button"
            role="tab"
            class="query-tab-title"
            aria-selected=${String(selected)}
            tabindex=${selected ? "0" : "-1"}
            title=${`${item.title} (double-click to rename)`}
            @click=${() => onSelect(item.id)}
            @dblclick=${() => startRename(item.id)}
            @keydown=${(event) => tabKey(event, index)}
          >
            ${
              running === item.id
                ? html`<span class="query-tab-running" title="Its query is running" aria-label="running"></span>`
                : nothing
            }${item.title}
          </button>`;
    return html`<div
      class=${`query-tab${selected ? " selected" : ""}`}
      data-testid="query-tab"
      data-tab-id=${item.id}
      @auxclick=${(event) => event.button === 1 && onClose(item.id)}
    >
      ${title}<button
        type="button"
        class="query-tab-close"
        title="Close this tab"
        aria-label=${`Close ${item.title}`}
        data-testid="query-tab-close"
        @click=${() => onClose(item.id)}
      >
        ×
      </button>
    </div>`;
  };

  function draw() {
    render(
      html`<div class="query-tab-list" role="tablist" aria-label="Query tabs">
          ${repeat(state.tabs, (item) => item.id, tab)}
        </div>
        <button
          type="button"
          class="query-tab-add"
          title="New query tab"
          aria-label="New query tab"
          data-testid="query-tab-add"
          @click=${() => onAdd()}
        >
          +
        </button>`,
      root,
    );
  }

  return {
    render(next, runningId = null) {
      state = next;
      running = runningId;
      draw();
    },
  };
}
