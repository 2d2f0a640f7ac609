"use client";

import { useLayoutEffect, useMemo, useRef } from "react";
import { tokenize } from "../../components/richtext";

/**
 * A textarea with the parts Bluesky will link (links, @mentions, #hashtags) highlighted
 * behind the text: a backdrop with the same metrics draws coloured marks; the textarea grows
 * with its content so the two never scroll apart.
 */
export function HighlightedTextarea(props: {
  id: string;
  value: string;
  onChange(v: string): void;
  invalid?: boolean;
  describedBy?: string;
  placeholder?: string;
  label: string;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const tokens = useMemo(() => tokenize(props.value), [props.value]);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.max(el.scrollHeight + 2, 112)}px`;
  }, [props.value]);

  return (
    <div className="hl">
      <div className="hl-backdrop" aria-hidden="true">
        {tokens.map((t, i) =>
          t.kind === "text" ? (
            <span key={i}>{t.text}</span>
          ) : (
            <mark key={i} className={t.kind}>
              {t.text}
            </mark>
          ),
        )}
        {/* A trailing newline needs a character after it to take up its line. */}
        {"\u200b"}
      </div>
      <textarea
        ref={ref}
        id={props.id}
        aria-label={props.label}
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
        aria-invalid={props.invalid || undefined}
        aria-describedby={props.describedBy}
        spellCheck
        style={{ overflow: "hidden", resize: "none" }}
      />
    </div>
  );
}
