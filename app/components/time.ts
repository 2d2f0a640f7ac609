import { getTimeZones, timeZonesNames } from "@vvo/tzdb";
import { Temporal } from "temporal-polyfill";

/**
 * Wall-clock times in a named time zone. Conversions go through Temporal (the polyfill, until
 * browsers ship it), which knows what a clock change does to a wall time; the list of zones comes
 * from @vvo/tzdb, which follows the IANA database's current names (Asia/Kolkata, Europe/Kyiv)
 * where browsers still answer the old ones (Asia/Calcutta, Europe/Kiev).
 */

export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const zoned = (instant: Date, timeZone: string) => Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone);

export function wallTimeIn(instant: Date, timeZone: string): WallTime {
  const z = zoned(instant, timeZone);
  return { year: z.year, month: z.month, day: z.day, hour: z.hour, minute: z.minute, second: z.second };
}

/** Minutes the zone is ahead of UTC at that instant. */
export function offsetMinutes(instant: Date, timeZone: string): number {
  return Math.round(zoned(instant, timeZone).offsetNanoseconds / 60e9);
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");

export function offsetString(minutes: number): string {
  return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/** ISO 8601 with the zone's own offset, e.g. 2026-03-01T09:30:00+01:00 (what the API wants). */
export function isoInZone(instant: Date, timeZone: string): string {
  return zoned(instant, timeZone).toString({ timeZoneName: "never", fractionalSecondDigits: 0 });
}

/** "2026-03-01" and "09:30" as an <input type=date/time> shows them, for an instant seen in a zone. */
export function inputValuesIn(instant: Date, timeZone: string): { date: string; time: string } {
  const w = wallTimeIn(instant, timeZone);
  return { date: `${w.year}-${pad(w.month)}-${pad(w.day)}`, time: `${pad(w.hour)}:${pad(w.minute)}` };
}

/**
 * What a wall time means in a zone. `exact`: it names one instant. `gap`: the clocks jump over
 * it (spring forward), so it is moved forward by the jump (02:30 → 03:30 in New York).
 * `overlap`: the clocks pass it twice (fall back); the earlier instant is used.
 */
export interface ResolvedWallTime {
  instant: Date;
  kind: "exact" | "gap" | "overlap";
  /** A sentence for the author, present for a gap or an overlap. */
  note?: string;
}

function parseInputs(date: string, time: string): Temporal.PlainDateTime | undefined {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!d || !t) return undefined;
  try {
    return Temporal.PlainDateTime.from(
      { year: +d[1]!, month: +d[2]!, day: +d[3]!, hour: +t[1]!, minute: +t[2]!, second: t[3] ? +t[3] : 0 },
      { overflow: "reject" },
    );
  } catch {
    return undefined;
  }
}

/** Reads the date and time inputs in the zone (undefined when incomplete or impossible). */
export function resolveWallTime(date: string, time: string, timeZone: string): ResolvedWallTime | undefined {
  const wall = parseInputs(date, time);
  if (!wall) return undefined;
  const earlier = wall.toZonedDateTime(timeZone, { disambiguation: "earlier" });
  const later = wall.toZonedDateTime(timeZone, { disambiguation: "later" });
  // "compatible" is what RFC 5545 and most calendars do: forward across a gap, earlier in an overlap.
  const chosen = wall.toZonedDateTime(timeZone, { disambiguation: "compatible" });
  const instant = new Date(chosen.epochMilliseconds);
  if (earlier.epochMilliseconds === later.epochMilliseconds) return { instant, kind: "exact" };
  const zone = timeZone.replace(/_/g, " ");
  const day = formatInZone(instant, timeZone, { hour: undefined, minute: undefined });
  const asked = wall.toPlainTime().toString({ smallestUnit: "minute" });
  if (Temporal.PlainDateTime.compare(chosen.toPlainDateTime(), wall) !== 0) {
    return {
      instant,
      kind: "gap",
      note: `${asked} does not exist on ${day} in ${zone}: the clocks move forward then. It will be posted at ${formatTime(instant, timeZone)} ${zoneAbbreviation(instant, timeZone)}.`,
    };
  }
  const second = new Date(later.epochMilliseconds);
  return {
    instant,
    kind: "overlap",
    note: `${asked} happens twice on ${day} in ${zone}: the clocks move back then. The first one is used, ${formatTime(instant, timeZone)} ${zoneAbbreviation(instant, timeZone)} (UTC${offsetString(offsetMinutes(instant, timeZone))}), not the one at UTC${offsetString(offsetMinutes(second, timeZone))}.`,
  };
}

/** Parses the date and time inputs back into an instant in the zone; undefined when incomplete. */
export function instantFromInputs(date: string, time: string, timeZone: string): Date | undefined {
  return resolveWallTime(date, time, timeZone)?.instant;
}

/** The current IANA name of a zone the browser may call by an old one (Asia/Calcutta → Asia/Kolkata). */
export function canonicalTimeZone(tz: string): string {
  if (tz === "UTC" || timeZonesNames.includes(tz)) return tz;
  return getTimeZones({ includeUtc: true }).find((z) => z.group.includes(tz))?.name ?? tz;
}

export function browserTimeZone(): string {
  return canonicalTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
}

export interface ZoneChoice {
  name: string;
  /** What a search can match besides the name: country, cities, the zone's long name, old names. */
  label: string;
}

let choices: ZoneChoice[] | undefined;

/** Every current IANA zone (plus UTC), each with words to search it by. */
export function timeZoneChoices(): ZoneChoice[] {
  if (!choices) {
    const info = getTimeZones({ includeUtc: true });
    const byMember = new Map<string, (typeof info)[number]>();
    for (const z of info) for (const m of z.group) if (!byMember.has(m) || m === z.name) byMember.set(m, z);
    choices = ["UTC", ...timeZonesNames].map((name) => {
      const z = byMember.get(name);
      const extra = z ? [z.countryName, z.alternativeName, ...(z.name === name ? z.mainCities : [])].filter(Boolean).join(", ") : "";
      return { name, label: extra ? `${name.replace(/_/g, " ")} (${extra})` : name.replace(/_/g, " ") };
    });
  }
  return choices;
}

export function allTimeZones(): string[] {
  return timeZoneChoices().map((c) => c.name);
}

/** The one time-of-day format of the app: the reader's locale decides 12 or 24 hours. */
export function formatTime(iso: string | Date, timeZone: string): string {
  const date = typeof iso === "string" ? new Date(iso) : iso;
  return new Intl.DateTimeFormat(undefined, { timeZone, hour: "numeric", minute: "2-digit" }).format(date);
}

/** "Sun, 1 Mar 2026, 9:30 AM" in the zone, in the reader's locale (same time format as formatTime). */
export function formatInZone(iso: string | Date, timeZone: string, opts: Intl.DateTimeFormatOptions = {}): string {
  const date = typeof iso === "string" ? new Date(iso) : iso;
  return new Intl.DateTimeFormat(undefined, {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    ...opts,
  }).format(date);
}

/** "GMT+1" or "CET": the short name of the zone at that instant. */
export function zoneAbbreviation(instant: Date, timeZone: string): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" })
    .formatToParts(instant)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? timeZone;
}

/** "3 minutes ago", "in 2 hours". */
export function relativeTime(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), "second");
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), "minute");
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), "hour");
  return rtf.format(Math.round(diff / 86_400_000), "day");
}
