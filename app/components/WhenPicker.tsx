"use client";

import { useMemo } from "react";
import { allTimeZones, formatInZone, instantFromInputs, offsetMinutes, offsetString, relativeTime, zoneAbbreviation } from "./time";

export interface WhenValue {
  date: string;
  time: string;
  timeZone: string;
}

/** Date and time as the author reads them, in a time zone they can see and change. */
export function WhenPicker({ idPrefix, value, onChange, error }: { idPrefix: string; value: WhenValue; onChange(v: WhenValue): void; error?: string }) {
  const zones = useMemo(() => {
    const all = allTimeZones();
    return all.includes(value.timeZone) ? all : [value.timeZone, ...all];
  }, [value.timeZone]);
  const instant = instantFromInputs(value.date, value.time, value.timeZone);
  const offset = instant ? offsetString(offsetMinutes(instant, value.timeZone)) : "";

  return (
    <div>
      <div className="row" style={{ alignItems: "flex-start" }}>
        <div style={{ flex: "1 1 9rem" }}>
          <label htmlFor={`${idPrefix}-date`}>Date</label>
          <input id={`${idPrefix}-date`} type="date" value={value.date} onChange={(e) => onChange({ ...value, date: e.target.value })} aria-invalid={!!error || undefined} />
        </div>
        <div style={{ flex: "1 1 7rem" }}>
          <label htmlFor={`${idPrefix}-time`}>Time</label>
          <input id={`${idPrefix}-time`} type="time" value={value.time} onChange={(e) => onChange({ ...value, time: e.target.value })} aria-invalid={!!error || undefined} />
        </div>
      </div>
      <label htmlFor={`${idPrefix}-tz`}>
        Time zone <span className="hint">{offset && `UTC${offset}`}</span>
      </label>
      <select id={`${idPrefix}-tz`} value={value.timeZone} onChange={(e) => onChange({ ...value, timeZone: e.target.value })}>
        {zones.map((z) => (
          <option key={z} value={z}>
            {z.replace(/_/g, " ")}
          </option>
        ))}
      </select>
      {instant && (
        <p className="hint" style={{ margin: "0.4rem 0 0" }} data-testid={`${idPrefix}-summary`}>
          {formatInZone(instant, value.timeZone)} {zoneAbbreviation(instant, value.timeZone)} · {relativeTime(instant.toISOString())}
          {value.timeZone !== "UTC" && ` · ${formatInZone(instant, "UTC", { weekday: undefined, year: undefined })} UTC`}
        </p>
      )}
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
