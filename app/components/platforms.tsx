"use client";

import { useEffect, useState } from "react";
import type { PlatformDescriptor, PlatformName } from "../lib/api/platform";
import { countMastodonCharacters } from "../lib/api/mastodon/text";
import { call, client } from "./api";
import { graphemeCount, WARN_BEFORE } from "./richtext";

/** What GET /api/platforms says: every platform's descriptor, and each account's own limits. */
export interface PlatformLimits {
  platforms: PlatformDescriptor[];
  accounts: Array<{ accountId: string; descriptor: PlatformDescriptor }>;
}

/**
 * Every platform's descriptor as the server declares it (GET /api/platforms), and each of the
 * user's accounts' (a Mastodon instance sets its own limits): the composer counts and limits
 * against these, never against numbers of its own.
 */
export function usePlatforms(): PlatformLimits | null {
  const [limits, setLimits] = useState<PlatformLimits | null>(null);
  useEffect(() => {
    void call(client.GET("/api/platforms")).then((res) => setLimits(res.ok ? res.data : { platforms: [], accounts: [] }));
  }, []);
  return limits;
}

/**
 * The descriptors a text is counted against: each chosen account's own, once per distinct
 * set of limits (two accounts on one instance: one counter); every platform's while none is chosen.
 */
export function descriptorsFor(limits: PlatformLimits | null, accountIds: string[]): PlatformDescriptor[] {
  if (!limits) return [];
  const chosen = limits.accounts.filter((a) => accountIds.includes(a.accountId)).map((a) => a.descriptor);
  if (chosen.length === 0) return limits.platforms;
  const seen = new Set<string>();
  return chosen.filter((d) => {
    const key = JSON.stringify(d);
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** The text's length as this platform counts it. */
export function textLength(platform: PlatformDescriptor, text: string): number {
  if (platform.text.counting === "graphemes-with-urls") return countMastodonCharacters(text, { urlLength: platform.text.urlLength });
  return graphemeCount(text);
}

/** Counter state of a length against one platform's limit (amber WARN_BEFORE before it). */
export function lengthLevel(length: number, max: number): "ok" | "warn" | "over" {
  if (length > max) return "over";
  return length > max - WARN_BEFORE ? "warn" : "ok";
}

/** A small mark per platform, so accounts and deliveries say where they post. */
export function PlatformIcon({ platform }: { platform: PlatformName }) {
  const label = platform === "mastodon" ? "Mastodon" : "Bluesky";
  return (
    <span className={`platform-icon platform-${platform}`} role="img" aria-label={label} title={label} data-platform={platform}>
      {platform === "mastodon" ? "🐘" : "🦋"}
    </span>
  );
}

/** `@alice.bsky.social`, `@alice@mastodon.social`: Mastodon handles carry their own @. */
export function displayHandle(handle: string): string {
  return handle.startsWith("@") ? handle : `@${handle}`;
}
