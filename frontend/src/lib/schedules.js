// What the schedule dialog and the Schedules page share, without the DOM: cron presets and
// their words (cronstrue), recipients as typed, targets' links, dates with their day.
import cronstrue from "cronstrue";

/** The presets of the "When" picker: [value, label, cron]; "custom" keeps the cron typed. */
export const PRESETS = [
  ["daily", "Every day at 8:00", "0 8 * * *"],
  ["weekly", "Every Monday at 8:00", "0 8 * * 1"],
  ["monthly", "The first of the month at 8:00", "0 8 1 * *"],
  ["custom", "Custom (cron)", null],
];

/** The preset whose cron this is, or "custom". */
export function presetOf(cron) {
  const text = (cron || "").trim().replace(/\s+/g, " ");
  return PRESETS.find(([, , c]) => c === text)?.[0] || "custom";
}

/** A cron expression in words ("At 08:00, only on Monday"), or null when it is not one. */
export function cronWords(cron) {
  if (!cron || !cron.trim()) return null;
  try {
    return cronstrue.toString(cron.trim(), { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return null;
  }
}

/** Addresses as typed in the recipients box: split on commas, semicolons and new lines. */
export function splitRecipients(text) {
  return (text || "")
    .split(/[,;\n]+/)
    .map((a) => a.trim())
    .filter(Boolean);
}

export const TARGET_LABELS = { dashboard: "Dashboard", chart: "Chart", saved_query: "Saved query" };

/** The page that shows a schedule's target. */
export function targetHref({ kind, id }) {
  if (kind === "dashboard") return `/dashboards/${id}`;
  if (kind === "chart") return `/charts/${id}`;
  return `/sqllab?saved=${encodeURIComponent(id)}`;
}

/** An instant with its date, in the reader's locale ("7 Dec 2026, 08:00"); "" for none. */
export function dateTime(iso, timeZone = undefined) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZone });
}

/** The browser's time zone (the dialog's default), "UTC" when it does not say. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** The conditions of an alert: [value, label, needs a threshold]. */
export const CONDITIONS = [
  ["above", "is above", true],
  ["below", "is below", true],
  ["equal", "equals", true],
  ["changed", "changed since the last run", false],
  ["no_rows", "returns no rows", false],
  ["any_rows", "returns any rows", false],
];

export const needsThreshold = (condition) => Boolean(CONDITIONS.find(([c]) => c === condition)?.[2]);

/**
 * The field a 422 of the schedules API is about, as the dialog names its fields: the error's
 * `field`, or the first name of a request validation message ("Invalid request: cron: ...").
 * The confirmation that recipients see the owner's rows is asked for by a message naming it.
 */
export function errorField(error) {
  const body = error?.body?.error || {};
  const message = body.message || error?.message || "";
  if (message.includes("recipients_see_owner_data")) return "recipients_see_owner_data";
  if (body.field) return body.field;
  const named = /^Invalid request: ([\w.]+): /.exec(message);
  return named ? named[1] : null;
}
