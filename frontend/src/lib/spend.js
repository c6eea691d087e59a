// The Spend page's arithmetic, without DOM: periods of days, byte sizes typed by people.

const UNITS = { B: 0, KB: 1, MB: 2, GB: 3, TB: 4, PB: 5, KIB: 1, MIB: 2, GIB: 3, TIB: 4, PIB: 5 };

/**
 * A size typed by a person, in bytes (powers of 1024, like the sizes Belvedere shows): "500 GB",
 * "1.5TB", "1024". Empty: null (no limit). Throws an Error saying what is wrong otherwise.
 */
export function parseBytes(text) {
  const typed = String(text ?? "").trim();
  if (!typed) return null;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(typed);
  const power = match && UNITS[(match[2] || "B").toUpperCase()];
  if (!match || power === undefined) throw new Error(`"${typed}" is not a size: write e.g. 500 GB or 2 TB.`);
  const value = Math.round(Number(match[1]) * 1024 ** power);
  if (value < 1) throw new Error(`"${typed}" is less than one byte.`);
  return value;
}

/** A Date's day as "2026-12-07" (its own calendar day, not UTC's). */
export function isoDay(day) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/** The periods the page offers: their label and how they start from today. */
export const PERIODS = {
  "7d": { label: "Last 7 days", days: 7 },
  "30d": { label: "Last 30 days", days: 30 },
  "90d": { label: "Last 90 days", days: 90 },
  month: { label: "This month", month: 0 },
  "last-month": { label: "Last month", month: -1 },
};

/** The first and last days ("YYYY-MM-DD", both included) of a period, seen from `today`. */
export function periodDays(choice, today = new Date()) {
  const period = PERIODS[choice] || PERIODS["30d"];
  const y = today.getFullYear();
  const m = today.getMonth();
  if (period.month === undefined) {
    const since = new Date(y, m, today.getDate() - (period.days - 1));
    return { since: isoDay(since), until: isoDay(today) };
  }
  const first = new Date(y, m + period.month, 1);
  const last = period.month === 0 ? today : new Date(y, m + period.month + 1, 0);
  return { since: isoDay(first), until: isoDay(last) };
}

/** A limit as shown in the rules' table: "500.0 GB", or "—" for none. */
export function limitText(n, bytes) {
  return n === null || n === undefined ? "—" : bytes(n);
}
