// The edit bar of a dashboard in edit mode: its title, its auto-refresh interval, buttons to add
// tiles and filters, Cancel and Save, and why a save failed (an interval over the budget left is
// refused with the arithmetic, shown under the interval). A render of the edit state with
// lit-html: the page changes the state and renders again.
import { html, nothing, render } from "lit-html";

/** Auto-refresh intervals offered, in seconds (0: off). */
export const REFRESH_CHOICES = [
  [0, "Off"],
  [60, "Every minute"],
  [300, "Every 5 minutes"],
  [900, "Every 15 minutes"],
  [1800, "Every 30 minutes"],
  [3600, "Every hour"],
];

/** The refresh choices, with `value` added when it is not one of them. */
export function refreshChoices(value) {
  const choices = [...REFRESH_CHOICES];
  if (value && !choices.some(([s]) => s === value)) choices.push([value, `Every ${value} s`]);
  return choices;
}

/**
 * Render the edit bar into `root`: hidden when `editing` is null, else from `editing` ({title,
 * refresh_seconds, saving, error, refreshError}). `actions`: canAddCharts, and the handlers addChart(),
 * addText(), addFilter(), cancel(), save(), edited() (after the title or interval changed).
 */
export function renderEditbar(root, editing, actions) {
  root.hidden = !editing;
  render(editing ? view(editing, actions) : nothing, root);
}

function view(editing, actions) {
  const value = editing.refresh_seconds || 0;
  const setTitle = (event) => {
    editing.title = event.target.value;
    actions.edited();
  };
  const setRefresh = (event) => {
    editing.refresh_seconds = Number(event.target.value) || null;
    editing.refreshError = null;
    actions.edited();
  };
  return html`<div class="editbar-row"
      ><div class="field"
        ><label for="dashboard-title-input">Title</label
        ><input
          id="dashboard-title-input"
          type="text"
          maxlength="200"
          required
          data-testid="dashboard-title-input"
          .value=${editing.title}
          @input=${setTitle}
      /></div
      ><div class="field"
        ><label for="dashboard-refresh-seconds">Auto-refresh</label
        ><select
          id="dashboard-refresh-seconds"
          data-testid="dashboard-refresh-seconds"
          aria-invalid=${editing.refreshError ? "true" : nothing}
          aria-describedby=${editing.refreshError ? "dashboard-refresh-error" : nothing}
          @change=${setRefresh}
          >${refreshChoices(value).map(
            ([s, label]) => html`<option .value=${String(s)} .selected=${s === value}>${label}</option>`,
          )}</select
        ></div
      ><div class="editbar-actions"
        >${
          actions.canAddCharts
            ? html`<button type="button" data-testid="add-chart-tile" @click=${actions.addChart}>+ Chart</button>`
            : nothing
        }<button type="button" data-testid="add-markdown-tile" @click=${actions.addText}>+ Text</button
        ><button type="button" data-testid="add-dashboard-filter" @click=${actions.addFilter}>+ Filter</button></div
      ><span class="spacer"></span
      ><button type="button" data-testid="dashboard-cancel-edit" @click=${actions.cancel}>Cancel</button
      ><button
        type="button"
        class="primary"
        data-testid="dashboard-save"
        ?disabled=${editing.saving}
        @click=${actions.save}
      >Save</button></div
    ><p
      id="dashboard-refresh-error"
      class="error-message refresh-error"
      role="alert"
      data-testid="dashboard-refresh-error"
      ?hidden=${!editing.refreshError}
    >${editing.refreshError ? `Auto-refresh: ${editing.refreshError}` : ""}</p
    ><p class="error-message" role="alert" data-testid="dashboard-save-error" ?hidden=${!editing.error}
      >${editing.error || ""}</p
    ><p class="help">Drag tiles by their title bar; resize them from their corners.</p>`;
}
