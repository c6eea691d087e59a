// Beside SQL Lab's timer: how far a running query got, as its warehouse reports it while it
// runs (BigQuery: bytes processed and slot time), e.g. "1.2 GB processed · 3.4 slot-s". The
// runs API has it as `progress` on a running run (GET /api/v1/runs/{id}).
import { h } from "../lib/dom.js";
import { TERMINAL, bytes, count } from "../lib/format.js";

/** Slot time as slot-seconds: "3.4 slot-s", "1,234 slot-s". */
export function slotSeconds(ms) {
  const seconds = ms / 1000;
  return `${seconds < 100 ? seconds.toFixed(1) : count(Math.round(seconds))} slot-s`;
}

/** "1.2 GB processed · 3.4 slot-s" for a run's `progress`; "" when it says nothing. */
export function progressText(progress) {
  if (!progress) return "";
  const parts = [];
  if (Number.isFinite(progress.bytes_processed)) parts.push(`${bytes(progress.bytes_processed)} processed`);
  if (Number.isFinite(progress.slot_ms)) parts.push(slotSeconds(progress.slot_ms));
  return parts.join(" · ");
}

const ACTIVE = new Set(["queued", "running"]);

/**
 * A progress line placed right after `anchor` (the timer). show(run) with each answer while a
 * run is followed (an ended run, or null, hides it); clear() hides it. Given the `status`
 * element (its data-status), the line also hides by itself once that says the run ended.
 */
export function createRunProgress(anchor, { status = null } = {}) {
  const node = h("span", { class: "run-progress", "data-testid": "run-progress", hidden: true });
  anchor.after(node);
  const set = (text) => {
    node.textContent = text;
    node.hidden = !text;
  };
  if (status) {
    const watch = () => ACTIVE.has(status.dataset.status) || set("");
    new MutationObserver(watch).observe(status, { attributes: true, attributeFilter: ["data-status"] });
  }
  return {
    show: (run) => set(run && !TERMINAL.has(run.status) ? progressText(run.progress) : ""),
    clear: () => set(""),
  };
}
