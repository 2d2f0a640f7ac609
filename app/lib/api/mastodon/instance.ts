import { restClient, type MastodonHttpSettings } from "./client";
import { classifyMastodonError } from "./errors";
import { MASTODON_URL_LENGTH } from "./text";

/** What an instance allows, read from /api/v2/instance (each instance sets its own). */
export interface MastodonLimits {
  maxCharacters: number;
  charactersReservedPerUrl: number;
  maxMediaAttachments: number;
  /** Alt-text length; instances before 4.4 do not say and use 1500. */
  descriptionLimit: number;
  imageSizeLimit: number;
  supportedMimeTypes: string[];
}

/** Mastodon's defaults, for instances that leave a field out. */
export const DEFAULT_MASTODON_LIMITS: MastodonLimits = {
  maxCharacters: 500,
  charactersReservedPerUrl: MASTODON_URL_LENGTH,
  maxMediaAttachments: 4,
  descriptionLimit: 1500,
  imageSizeLimit: 16 * 1024 * 1024,
  supportedMimeTypes: ["image/jpeg", "image/png", "image/gif", "image/webp"],
};

export async function fetchInstanceLimits(instanceUrl: string, http: MastodonHttpSettings): Promise<MastodonLimits> {
  try {
    const instance = await restClient(instanceUrl, http).v2.instance.fetch();
    const { statuses, mediaAttachments } = instance.configuration;
    // description_limit (4.4+) is not in masto 7's types; masto camel-cases every key it receives.
    const descriptionLimit = (mediaAttachments as { descriptionLimit?: unknown }).descriptionLimit;
    const d = DEFAULT_MASTODON_LIMITS;
    return {
      maxCharacters: positive(statuses.maxCharacters) ?? d.maxCharacters,
      charactersReservedPerUrl: positive(statuses.charactersReservedPerUrl) ?? d.charactersReservedPerUrl,
      maxMediaAttachments: positive(statuses.maxMediaAttachments) ?? d.maxMediaAttachments,
      descriptionLimit: positive(descriptionLimit) ?? d.descriptionLimit,
      imageSizeLimit: positive(mediaAttachments.imageSizeLimit) ?? d.imageSizeLimit,
      supportedMimeTypes: Array.isArray(mediaAttachments.supportedMimeTypes) ? mediaAttachments.supportedMimeTypes : d.supportedMimeTypes,
    };
  } catch (err) {
    throw classifyMastodonError(err, `reading the limits of ${instanceUrl}`);
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** An instance's limits as last read, and when. */
export interface StoredInstanceLimits {
  limits: MastodonLimits;
  fetchedAt: Date;
}

/** Where each instance's limits are kept between reads (mastodon_apps, beside the app registered there). */
export interface InstanceLimitsStore {
  get(instanceUrl: string): Promise<StoredInstanceLimits | undefined>;
  put(instanceUrl: string, limits: MastodonLimits, fetchedAt: Date): Promise<void>;
}

/**
 * An instance's limits change rarely (an admin edits them): read at connect time, then again
 * when a post is checked against limits older than this (in the background: the stored ones
 * answer meanwhile).
 */
export const INSTANCE_LIMITS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
