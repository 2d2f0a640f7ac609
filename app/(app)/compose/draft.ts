"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { DraftRich } from "./richOptions";

/** The composer's state, kept in localStorage so a reload (or a crash) loses nothing. */

export interface DraftImage {
  id: string;
  name: string;
  mimeType: string;
  /** Set once POST /api/media stored it (uploaded on pick); posts send this id, never bytes. */
  mediaId?: string;
  thumbnailUrl?: string;
  alt: string;
}

/** branch video: a segment's video (uploaded on pick, like images) and its one caption file. */
export interface DraftVideo {
  name: string;
  mediaId?: string;
  alt: string;
  captions?: { name: string; lang: string; mediaId?: string };
}

export interface DraftSegment {
  id: string;
  text: string;
  images: DraftImage[];
  video?: DraftVideo;
}

export interface Draft {
  accountIds: string[];
  segments: DraftSegment[];
  when: "now" | "schedule";
  date: string;
  time: string;
  timeZone: string;
  /** Bluesky options (languages, card, quote, labels, gates); absent in drafts saved before them. */
  rich?: DraftRich;
}

const KEY = "postmore.composer.draft.v1";

export const newId = () => Math.random().toString(36).slice(2, 10);
export const emptySegment = (): DraftSegment => ({ id: newId(), text: "", images: [] });

export function emptyDraft(timeZone: string): Draft {
  return { accountIds: [], segments: [emptySegment()], when: "schedule", date: "", time: "", timeZone };
}

function readDraft(): Draft | undefined {
  try {
    const raw = window.localStorage.getItem(KEY);
    if (!raw) return undefined;
    const d = JSON.parse(raw) as Draft;
    if (!Array.isArray(d.segments) || d.segments.length === 0) return undefined;
    // Images whose upload never finished (or drafts from before uploads) cannot be sent: drop them.
    return {
      ...d,
      segments: d.segments.map((s) => ({
        ...s,
        images: (s.images ?? []).filter((i) => typeof i.mediaId === "string"),
        video: typeof s.video?.mediaId === "string" ? { ...s.video, captions: s.video.captions?.mediaId ? s.video.captions : undefined } : undefined,
      })),
    };
  } catch {
    return undefined;
  }
}

function writeDraft(d: Draft): void {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(d));
  } catch {
    // Images can exceed the storage quota: keep the text at least.
    try {
      window.localStorage.setItem(KEY, JSON.stringify({ ...d, segments: d.segments.map((s) => ({ ...s, images: [] })) }));
    } catch {
      // Storage unavailable (private mode): the draft simply is not kept.
    }
  }
}

export function clearDraft(): void {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // nothing to clear
  }
}

/**
 * [draft, update, restored]: restored is true when the draft came back from storage.
 * Every change is written at once (no debounce: a reload right after typing lost it), and again
 * on `pagehide`, the last event a closing or reloading tab reliably gets.
 */
export function useDraft(initial: () => Draft): [Draft | null, (f: (d: Draft) => Draft) => void, boolean] {
  const [draft, setDraftState] = useState<Draft | null>(null);
  const [restored, setRestored] = useState(false);
  const current = useRef<Draft | null>(null);

  useEffect(() => {
    const saved = readDraft();
    current.current = saved ?? initial();
    setDraftState(current.current);
    setRestored(saved !== undefined && saved.segments.some((s) => s.text.trim() !== "" || s.images.length > 0));
    const flush = () => {
      if (current.current) writeDraft(current.current);
    };
    window.addEventListener("pagehide", flush);
    return () => window.removeEventListener("pagehide", flush);
    // Read once, on mount.
  }, []);

  // The ref, not React's state, is the latest draft: two changes in one event both land.
  const update = useCallback((f: (d: Draft) => Draft) => {
    if (!current.current) return;
    current.current = f(current.current);
    writeDraft(current.current);
    setDraftState(current.current);
  }, []);
  return [draft, update, restored];
}
