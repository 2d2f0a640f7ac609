import { randomUUID } from "node:crypto";
import { logger } from "../../logger";
import type { PlatformDescriptor, PlatformService, PublishedRecord } from "../platform";
import { PermanentPlatformError, PlatformError } from "../platformErrors";
import type { MastodonHttpSettings } from "./client";
import { DEFAULT_MASTODON_LIMITS, type MastodonLimits } from "./instance";
import type { MediaPolling } from "./media";
import { publishStatuses, type MastodonPublishedStatus } from "./publish";
import { fromPlatformRequest } from "./fromPlatform";
import { validateForMastodon } from "./service";
import { MASTODON_URL_LENGTH } from "./text";

const log = logger("mastodon");

/** Mastodon's defaults (a default instance); each instance may allow more, never less is assumed. */
export const MASTODON_DESCRIPTOR: PlatformDescriptor = {
  name: "mastodon",
  label: "Mastodon",
  text: { maxLength: DEFAULT_MASTODON_LIMITS.maxCharacters, counting: "graphemes-with-urls", urlLength: MASTODON_URL_LENGTH },
  media: {
    maxCount: DEFAULT_MASTODON_LIMITS.maxMediaAttachments,
    maxBytes: DEFAULT_MASTODON_LIMITS.imageSizeLimit,
    types: DEFAULT_MASTODON_LIMITS.supportedMimeTypes,
    maxAltLength: DEFAULT_MASTODON_LIMITS.descriptionLimit,
  },
  // Our own bound: a thread is a reply chain, Mastodon sets none.
  threads: { maxSegments: 25 },
  // A status carries one ISO 639 language; the first of the post's languages is used.
  languages: { max: 3 },
  contentWarnings: true,
  auth: { kinds: ["oauth"], tokensExpire: false },
  // Mastodon keeps an Idempotency-Key for one hour.
  idempotency: { strategy: "header", windowMs: 60 * 60 * 1000 },
};

const MASTODON_INSTANCE_CHECK = { label: "Mastodon server", path: "/api/v2/instance" };

export interface MastodonPlatformSettings {
  http: MastodonHttpSettings;
  media: MediaPolling;
  limits?: MastodonLimits;
  now?: () => number;
}

const limitsOf = (d: PlatformDescriptor): MastodonLimits => ({
  maxCharacters: d.text.maxLength,
  charactersReservedPerUrl: d.text.urlLength ?? MASTODON_URL_LENGTH,
  maxMediaAttachments: d.media.maxCount,
  descriptionLimit: d.media.maxAltLength,
  imageSizeLimit: d.media.maxBytes,
  supportedMimeTypes: d.media.types,
});

const toRecord = (s: MastodonPublishedStatus): PublishedRecord => ({ uri: s.uri ?? s.url ?? s.id, id: s.id, url: s.url });
const fromRecord = (r: PublishedRecord): MastodonPublishedStatus => ({ id: r.id ?? r.uri, uri: r.uri, url: r.url ?? null });

/** Mastodon behind the PlatformService interface. */
export function createMastodonPlatformService(settings: MastodonPlatformSettings): PlatformService {
  const limits = () => settings.limits ?? limitsOf(MASTODON_DESCRIPTOR);

  function validate(content: Parameters<PlatformService["validate"]>[0]): string[] {
    const request = fromPlatformRequest({ rkeys: content.segments.map(() => "k"), createdAt: new Date(), content });
    const problems = validateForMastodon(request, limits());
    if (content.segments.length === 0) problems.push("the post has no text");
    // branch video: videos are posted to Bluesky only (the descriptor declares no `video`).
    if (content.segments.some((s) => s.video)) problems.push("PostMore does not post videos to Mastodon; choose only Bluesky accounts for a video post");
    if (content.segments.length > MASTODON_DESCRIPTOR.threads.maxSegments) {
      problems.push(`a thread can have at most ${MASTODON_DESCRIPTOR.threads.maxSegments} posts (this one has ${content.segments.length})`);
    }
    return problems.map((p) => `Mastodon: ${p}`);
  }

  return {
    platform: "mastodon",
    descriptor: MASTODON_DESCRIPTOR,
    instanceCheck: MASTODON_INSTANCE_CHECK,
    newSegmentKeys: (count) => Array.from({ length: count }, () => randomUUID()),
    validate,

    async publish(account, request) {
      const accessToken = account.credentials.accessToken;
      if (!accessToken) throw new PermanentPlatformError("internal: the Mastodon account has no access token stored; reconnect it");
      const problems = validate(request.content);
      if (problems.length > 0) throw new PermanentPlatformError(problems.join("; "));
      const live: MastodonPublishedStatus[] = [];
      const { http, media, now } = settings;
      try {
        const result = await publishStatuses(
          { instanceUrl: account.instanceUrl, accessToken, remoteAccountId: account.remoteId },
          { ...fromPlatformRequest(request), published: (request.published ?? []).map(fromRecord), unclearSince: request.unclearSince },
          { http, media, now, onSegment: (_i, status) => void live.push(status) },
        );
        log.info({ accountId: account.id, statusId: result.root.id, segments: result.statuses.length }, "published");
        return { root: toRecord(result.root), records: result.statuses.map(toRecord), alreadyPublished: result.alreadyPublished };
      } catch (err) {
        if (err instanceof PlatformError) err.publishedSoFar = live.map(toRecord);
        throw err;
      }
    },
  };
}
