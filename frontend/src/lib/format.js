// Numbers, durations and times as people read them.
import { format as d3format } from "d3-format";

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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n) => String(n).padStart(2, "0");

/** A timestamp with its date, in the viewer's time zone: "6 Dec 2026, 14:03:12" (logs). */
export function stamp(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${time}`;
}

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

/**
 * A number in full with thousands separators, its decimals kept as they came:
 * 21166400.86 → "21,166,400.86", "-1234567" → "-1,234,567". Strings (exact decimals the
 * server sends as text) keep every digit; what is not a plain number is shown as it is.
 */
export function formatNumber(value) {
  if (value === null || value === undefined) return "";
  const text = String(value).trim();
  const parts = /^([-+]?)(\d+)(\.\d+)?$/.exec(text);
  if (!parts) return text; // NaN, Infinity, 1e+21: as they are
  return `${parts[1] === "-" ? "-" : ""}${parts[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${parts[3] || ""}`;
}

const si3 = d3format(".3~s");
const fixed2 = d3format(".2~f");
const small3 = d3format(".3~g");

/**
 * A number short, with an SI prefix from 1,000 on, as the charts write it (the server's chart
 * theme, charts/theme.py, has the same rule): 160000000 → "160M", 2.5e9 → "2.5B" (B, not
 * d3's G), 1234.5 → "1.23k", 12.345 → "12.35", 0.01234 → "0.0123"; "" for no number.
 */
export function formatSI(value) {
  if (value === null || value === undefined || value === "") return "";
  const n = Number(value);
  if (!Number.isFinite(n)) return "";
  if (Math.abs(n) >= 1000) return si3(n).replace("G", "B");
  if (Math.abs(n) >= 1 || n === 0) return fixed2(n);
  return small3(n);
}

/** The same date and time as "6 Dec 2026, 14:03" (lists of things saved). */
export function dateTime(iso) {
  const full = stamp(iso);
  return full ? full.slice(0, -3) : "";
}
