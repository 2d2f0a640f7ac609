"use client";

import { useEffect, useMemo, useState } from "react";
import { timeZoneChoices } from "./time";

/**
 * A searchable time zone field: type a city, a country or part of a zone name and pick from the
 * suggestions (a native datalist, so keyboards and screen readers work as with any input).
 * Only a real zone is passed on; anything else stays in the box, marked, until it becomes one.
 */
export function TimeZonePicker({ id, value, onChange, className }: { id: string; value: string; onChange(tz: string): void; className?: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const choices = timeZoneChoices();
  const lookup = useMemo(() => {
    const m = new Map<string, string>();
    for (const c of choices) {
      m.set(c.name.toLowerCase(), c.name);
      m.set(c.name.replace(/_/g, " ").toLowerCase(), c.name);
      m.set(c.label.toLowerCase(), c.name);
    }
    return m;
  }, [choices]);
  const match = lookup.get(text.trim().toLowerCase());

  return (
    <>
      <input
        id={id}
        className={className}
        type="text"
        list={`${id}-zones`}
        autoComplete="off"
        spellCheck={false}
        placeholder="Search a city, country or zone"
        value={text}
        aria-invalid={!match || undefined}
        aria-describedby={!match ? `${id}-help` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          const found = lookup.get(e.target.value.trim().toLowerCase());
          if (found) onChange(found);
        }}
        onBlur={() => {
          if (!match) setText(value);
        }}
      />
      <datalist id={`${id}-zones`}>
        {choices.map((c) => (
          <option key={c.name} value={c.name}>
            {c.label}
          </option>
        ))}
      </datalist>
      {!match && (
        <p id={`${id}-help`} className="hint">
          Pick a time zone from the suggestions (still using {value.replace(/_/g, " ")}).
        </p>
      )}
    </>
  );
}
