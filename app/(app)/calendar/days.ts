import { wallTimeIn } from "../../components/time";

/** Calendar days as "YYYY-MM-DD" keys, computed on plain dates (no time zone can shift them). */

const pad = (n: number) => String(n).padStart(2, "0");
export const keyOf = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

function fromKey(key: string): Date {
  const [y, m, d] = key.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d));
}

export function addDays(key: string, n: number): string {
  const d = fromKey(key);
  d.setUTCDate(d.getUTCDate() + n);
  return keyOf(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

export function addMonths(key: string, n: number): string {
  const d = fromKey(key);
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  return keyOf(t.getUTCFullYear(), t.getUTCMonth() + 1, 1);
}

/** Monday of the week holding `key`. */
export function weekStart(key: string): string {
  const dow = (fromKey(key).getUTCDay() + 6) % 7;
  return addDays(key, -dow);
}

/** The days the view shows: one week, or the whole weeks covering the month. */
export function visibleDays(anchor: string, view: "week" | "month"): string[] {
  if (view === "week") return Array.from({ length: 7 }, (_, i) => addDays(weekStart(anchor), i));
  const first = `${anchor.slice(0, 7)}-01`;
  const start = weekStart(first);
  const nextMonth = addMonths(first, 1);
  const days: string[] = [];
  for (let k = start; days.length < 42 && (k < nextMonth || days.length % 7 !== 0); k = addDays(k, 1)) days.push(k);
  return days;
}

export function dayKeyIn(instant: Date, timeZone: string): string {
  const w = wallTimeIn(instant, timeZone);
  return keyOf(w.year, w.month, w.day);
}

export function label(key: string, opts: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat(undefined, { timeZone: "UTC", ...opts }).format(fromKey(key));
}

/** "1–7 Dec 2026" or "29 Dec 2026 – 4 Jan 2027": the days from `first` to `last`, both included. */
export function labelRange(first: string, last: string): string {
  const f = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
  return f.formatRange(fromKey(first), fromKey(last));
}
