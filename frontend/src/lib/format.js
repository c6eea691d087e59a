// Numbers, durations and times as people read them.

const integer = new Intl.NumberFormat();

/** 12345 → "12,345" (in the browser's locale). */
export const count = (n) => integer.format(n);

/** "1 row", "12,345 rows". */
export const plural = (n, one, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** Bytes as BigQuery's console (and the server) write them, powers of 1024: "1.2 GB", "512 B". */
export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return "";
  let value = Number(n);
  for (const unit of BYTE_UNITS) {
    if (value < 1024 || unit === "PB")
      return unit === "B" ? `${Math.trunc(value)} B` : `${value.toFixed(1)} ${unit}`;
    value /= 1024;
  }
  return "";
}

const short = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

/** A large count, short: 950, 12.3K, 4.5M (exact counts go in tooltips). */
export const compact = (n) => (n === null || n === undefined ? "" : short.format(n));

/** A time as "14:03" (for "loaded at"). */
export const clock = (iso) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });

/** Milliseconds as "850 ms", "3.2 s", "2 min 05 s", "1 h 02 min". */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** A timestamp as a short local time: today "14:03:21", else "Mar 3, 14:03". */
export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = new Date();
  if (date.toDateString() === today.toDateString()) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  return date.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** The full local date and time, for tooltips. */
export const fullTime = (iso) => new Date(iso).toLocaleString();

/** SQL on one line, cut to `max` characters. */
export function snippet(sql, max = 160) {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The label of a run status. */
export const STATUS_LABELS = {
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
  timed_out: "Timed out",
};

export const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** "2024-03-01" (a day of the date input) as the instant its local midnight starts. */
export function dayStart(day, plusDays = 0) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}
