"use client";

import { formatInZone, offsetMinutes, offsetString, relativeTime, resolveWallTime, zoneAbbreviation } from "./time";
import { TimeZonePicker } from "./TimeZonePicker";

export interface WhenValue {
  date: string;
  time: string;
  timeZone: string;
}

/**
 * Date and time as the author reads them, in a time zone they can see and search. A time the
 * clocks skip or pass twice is said out loud, with the instant that will be used, before saving.
 */
export function WhenPicker({ idPrefix, value, onChange, error }: { idPrefix: string; value: WhenValue; onChange(v: WhenValue): void; error?: string }) {
  const resolved = resolveWallTime(value.date, value.time, value.timeZone);
  const instant = resolved?.instant;
  const offset = instant ? offsetString(offsetMinutes(instant, value.timeZone)) : "";
  const past = instant !== undefined && instant.getTime() < Date.now() - 60_000;

  return (
    <div>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <div style={{ flex: "1 1 9rem" }}>
          <label htmlFor={`${idPrefix}-date`}>Date</label>
          <input id={`${idPrefix}-date`} type="date" value={value.date} onChange={(e) => onChange({ ...value, date: e.target.value })} aria-invalid={!!error || past || undefined} />
        </div>
        <div style={{ flex: "1 1 7rem" }}>
          <label htmlFor={`${idPrefix}-time`}>Time</label>
          <input id={`${idPrefix}-time`} type="time" value={value.time} onChange={(e) => onChange({ ...value, time: e.target.value })} aria-invalid={!!error || past || undefined} />
        </div>
      </div>
      <label htmlFor={`${idPrefix}-tz`}>
        Time zone <span className="hint">{offset && `UTC${offset}`}</span>
      </label>
      <TimeZonePicker id={`${idPrefix}-tz`} value={value.timeZone} onChange={(timeZone) => onChange({ ...value, timeZone })} />
      {instant && (
        <p className="hint" style={{ margin: "0.4rem 0 0" }} data-testid={`${idPrefix}-summary`}>
          {formatInZone(instant, value.timeZone)} {zoneAbbreviation(instant, value.timeZone)} · {relativeTime(instant.toISOString())}
          {value.timeZone !== "UTC" && ` · ${formatInZone(instant, "UTC", { weekday: undefined, year: undefined })} UTC`}
        </p>
      )}
      {resolved?.note && (
        <p className="alert alert-warn" role="status" data-testid={`${idPrefix}-clock-change`}>
          {resolved.note}
        </p>
      )}
      {past && <p className="field-error">That time has passed. Choose a later one, or pick “Post now”.</p>}
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
