import type { mastodon } from "masto";
import { restClient, type MastodonHttpSettings } from "./client";
import { classifyMastodonError } from "./errors";
import { uploadMedia, type MastodonImage, type MediaPolling } from "./media";
import { findPublishedStatus } from "./recover";

/**
 * Posts a status or a thread (each segment a reply to the one before) exactly once.
 * Every segment carries its own idempotency key, chosen when the post was scheduled and
 * sent as `Idempotency-Key`: a retry within Mastodon's hour gets the status the first
 * attempt made. Past that hour, a segment whose earlier outcome is unknown is looked for
 * among the account's statuses before it is posted again.
 */

export type MastodonVisibility = "public" | "unlisted" | "private" | "direct";

export interface MastodonAccount {
  instanceUrl: string;
  accessToken: string;
  /** The account's id on its instance (from verify_credentials). */
  remoteAccountId: string;
}

export interface MastodonSegment {
  text: string;
  images?: MastodonImage[];
  idempotencyKey: string;
}

export interface MastodonPublishedStatus {
  id: string;
  /** Its ActivityPub id (absent for statuses an earlier attempt recorded without it). */
  uri?: string;
  /** The web page of the status (null for statuses an earlier attempt recorded without it). */
  url: string | null;
}

export interface MastodonPublishRequest {
  segments: MastodonSegment[];
  visibility?: MastodonVisibility;
  /** Content warning, shown before the text of every segment. */
  spoilerText?: string;
  /** ISO 639 language of the text. */
  language?: string;
  /** Segments an earlier attempt is known to have published, by index. */
  published?: (MastodonPublishedStatus | null | undefined)[];
  /** Start of the earliest attempt whose outcome is unknown (a lost answer, a killed worker). */
  unclearSince?: Date;
}

export interface MastodonPublishResult {
  root: MastodonPublishedStatus;
  statuses: MastodonPublishedStatus[];
  /** True when every segment was already on the instance before this call. */
  alreadyPublished: boolean;
}

export interface PublishSettings {
  http: MastodonHttpSettings;
  media: MediaPolling;
  /** Injectable clock, so tests can age an unclear attempt past the key's hour. */
  now?: () => number;
  /** Told about each segment as it is published, so a caller can record partial progress. */
  onSegment?: (index: number, status: MastodonPublishedStatus) => void | Promise<void>;
}

/**
 * Mastodon keeps a key for an hour after the status was created, and that creation can only
 * be later than the unclear attempt; five minutes less leaves room for clock skew.
 */
export const IDEMPOTENCY_TRUST_MS = 55 * 60 * 1000;

export async function publishStatuses(account: MastodonAccount, request: MastodonPublishRequest, settings: PublishSettings): Promise<MastodonPublishResult> {
  if (request.segments.length === 0) throw new TypeError("a post needs at least one segment");
  const now = settings.now ?? Date.now;
  const client = restClient(account.instanceUrl, settings.http, account.accessToken);
  const lookForEarlier = request.unclearSince !== undefined && now() - request.unclearSince.getTime() >= IDEMPOTENCY_TRUST_MS;
  const statuses: MastodonPublishedStatus[] = [];
  let fresh = 0;
  for (const [index, segment] of request.segments.entries()) {
    const parent = statuses.at(-1)?.id ?? null;
    let status = request.published?.[index] ?? undefined;
    if (!status && lookForEarlier) {
      const found = await findPublishedStatus(
        client,
        account.remoteAccountId,
        { text: segment.text, spoilerText: request.spoilerText ?? "", inReplyToId: parent, mediaCount: segment.images?.length ?? 0 },
        request.unclearSince!,
        now,
      );
      if (found) status = toPublished(found);
    }
    if (!status) {
      status = await postSegment(client, segment, parent, request, settings);
      fresh++;
    }
    statuses.push(status);
    await settings.onSegment?.(index, status);
  }
  // A replayed Idempotency-Key also counts as fresh here: we cannot tell it from a new status.
  return { root: statuses[0]!, statuses, alreadyPublished: fresh === 0 };
}

async function postSegment(
  client: mastodon.rest.Client,
  segment: MastodonSegment,
  inReplyToId: string | null,
  request: MastodonPublishRequest,
  settings: PublishSettings,
): Promise<MastodonPublishedStatus> {
  const mediaIds: string[] = [];
  for (const image of segment.images ?? []) mediaIds.push(await uploadMedia(client, image, settings.media, settings.now));
  try {
    const status = await client.v1.statuses.create(
      {
        status: segment.text,
        mediaIds,
        inReplyToId,
        visibility: request.visibility ?? "public",
        spoilerText: request.spoilerText || null,
        sensitive: request.spoilerText ? true : null,
        language: request.language ?? null,
      },
      { requestInit: { headers: { "Idempotency-Key": segment.idempotencyKey } } },
    );
    return toPublished(status);
  } catch (err) {
    throw classifyMastodonError(err, "publishing the post", (settings.now ?? Date.now)());
  }
}

function toPublished(status: mastodon.v1.Status): MastodonPublishedStatus {
  return { id: status.id, uri: status.uri, url: status.url ?? null };
}
