"use client";

import { useEffect, useState } from "react";
import type { PlatformDescriptor, PlatformName } from "../lib/api/platform";
import { countMastodonCharacters } from "../lib/api/mastodon/text";
import { call, client } from "./api";
import { graphemeCount, WARN_BEFORE } from "./richtext";

/**
 * Every platform's descriptor as the server declares it (GET /api/platforms): the composer
 * counts and limits against these, never against numbers of its own.
 */
export function usePlatforms(): PlatformDescriptor[] | null {
  const [platforms, setPlatforms] = useState<PlatformDescriptor[] | null>(null);
  useEffect(() => {
    void call(client.GET("/api/platforms")).then((res) => setPlatforms(res.ok ? res.data.platforms : []));
  }, []);
  return platforms;
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
