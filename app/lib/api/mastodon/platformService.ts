import { randomUUID } from "node:crypto";
import { logger } from "../../logger";
import { imageSize, type PlatformDescriptor, type PlatformService, type PublishedRecord } from "../platform";
import { PermanentPlatformError, PlatformError } from "../platformErrors";
import type { MastodonHttpSettings } from "./client";
import { DEFAULT_MASTODON_LIMITS, fetchInstanceLimits, INSTANCE_LIMITS_MAX_AGE_MS, type InstanceLimitsStore, type MastodonLimits } from "./instance";
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
  /** The limits assumed for an instance not read yet (or unreachable); default: Mastodon's. */
  limits?: MastodonLimits;
  /** Each instance's limits as last read; without it, `limits` hold for every instance. */
  instances?: InstanceLimitsStore;
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

/** The descriptor for an instance with these limits (its host in the label, so messages say which instance). */
function descriptorOf(limits: MastodonLimits, instanceUrl?: string): PlatformDescriptor {
  const d = MASTODON_DESCRIPTOR;
  return {
    ...d,
    label: instanceUrl ? `${d.label} (${new URL(instanceUrl).host})` : d.label,
    text: { ...d.text, maxLength: limits.maxCharacters, urlLength: limits.charactersReservedPerUrl },
    media: { maxCount: limits.maxMediaAttachments, maxBytes: limits.imageSizeLimit, types: limits.supportedMimeTypes, maxAltLength: limits.descriptionLimit },
  };
}

const toRecord = (s: MastodonPublishedStatus): PublishedRecord => ({ uri: s.uri ?? s.url ?? s.id, id: s.id, url: s.url });
const fromRecord = (r: PublishedRecord): MastodonPublishedStatus => ({ id: r.id ?? r.uri, uri: r.uri, url: r.url ?? null });

/** Mastodon behind the PlatformService interface. */
export function createMastodonPlatformService(settings: MastodonPlatformSettings): PlatformService {
  const fallback = () => settings.limits ?? limitsOf(MASTODON_DESCRIPTOR);
  const now = () => (settings.now ?? Date.now)();
  // One read of an instance at a time (per context), however many posts ask meanwhile.
  const reading = new Map<string, Promise<MastodonLimits>>();

  function readInstance(store: InstanceLimitsStore, instanceUrl: string): Promise<MastodonLimits> {
    let read = reading.get(instanceUrl);
    if (!read) {
      read = fetchInstanceLimits(instanceUrl, settings.http)
        .then(async (limits) => {
          await store.put(instanceUrl, limits, new Date(now()));
          return limits;
        })
        .finally(() => reading.delete(instanceUrl));
      reading.set(instanceUrl, read);
    }
    return read;
  }

  /** The instance's limits: as stored (read again in the background once old); read now when never read. */
  async function instanceLimits(instanceUrl: string): Promise<MastodonLimits> {
    const store = settings.instances;
    if (!store) return fallback();
    const stored = await store.get(instanceUrl);
    if (stored) {
      if (now() - stored.fetchedAt.getTime() > INSTANCE_LIMITS_MAX_AGE_MS) {
        readInstance(store, instanceUrl).catch((err: unknown) => log.warn({ err, instanceUrl }, "could not read the instance's limits again; the stored ones hold"));
      }
      return stored.limits;
    }
    try {
      return await readInstance(store, instanceUrl);
    } catch (err) {
      log.warn({ err, instanceUrl }, "could not read the instance's limits; Mastodon's defaults hold");
      return fallback();
    }
  }

  function validate(content: Parameters<PlatformService["validate"]>[0], descriptor?: PlatformDescriptor): string[] {
    const segments = content.segments.map((s) => ({ text: s.text, images: (s.images ?? []).map((i) => ({ mimeType: i.mimeType, alt: i.alt, size: imageSize(i) ?? 0 })) }));
    const problems = validateForMastodon({ segments }, descriptor ? limitsOf(descriptor) : fallback());
    if (content.segments.length === 0) problems.push("the post has no text");
    // branch video: videos are posted to Bluesky only (the descriptor declares no `video`).
    if (content.segments.some((s) => s.video)) problems.push("PostMore does not post videos to Mastodon; choose only Bluesky accounts for a video post");
    if (content.segments.length > MASTODON_DESCRIPTOR.threads.maxSegments) {
      problems.push(`a thread can have at most ${MASTODON_DESCRIPTOR.threads.maxSegments} posts (this one has ${content.segments.length})`);
    }
    return problems.map((p) => `${descriptor?.label ?? MASTODON_DESCRIPTOR.label}: ${p}`);
  }

  const descriptorFor = async (account: { instanceUrl: string }) => descriptorOf(await instanceLimits(account.instanceUrl), account.instanceUrl);

  return {
    platform: "mastodon",
    descriptor: settings.limits ? descriptorOf(settings.limits) : MASTODON_DESCRIPTOR,
    instanceCheck: MASTODON_INSTANCE_CHECK,
    newSegmentKeys: (count) => Array.from({ length: count }, () => randomUUID()),
    validate,
    descriptorFor,

    async publish(account, request) {
      const accessToken = account.credentials.accessToken;
      if (!accessToken) throw new PermanentPlatformError("internal: the Mastodon account has no access token stored; reconnect it");
      // Checked again against the instance's limits now: an admin may have lowered them since.
      const problems = validate(request.content, await descriptorFor(account));
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
