import type { PlatformAccount, PlatformDescriptor, PlatformService, PlatformSession } from "../platform";
import type { IdentitySettings } from "../bluesky/identity";
import type { BlueskyOAuthSessions } from "../bluesky/oauth/sessions";
import { newRecordKeys } from "../bluesky/tid";
import { CAPTION_MIME_TYPES, IMAGE_MIME_TYPES, LIMITS, validatePostContent, VIDEO_MIME_TYPES } from "../bluesky/validate";
import type { BlueSkyCalls } from "./blueSkyCalls";

/** Bluesky's limits as the composer and validation read them (numbers from bluesky/validate.ts). */
export const BLUESKY_DESCRIPTOR: PlatformDescriptor = {
  name: "bluesky",
  label: "Bluesky",
  text: { maxLength: LIMITS.graphemes, counting: "graphemes" },
  media: { maxCount: LIMITS.imagesPerPost, maxBytes: LIMITS.imageBytes, types: [...IMAGE_MIME_TYPES], maxAltLength: LIMITS.altGraphemes },
  video: {
    maxBytes: LIMITS.videoBytes,
    types: [...VIDEO_MIME_TYPES],
    maxAltLength: LIMITS.videoAltGraphemes,
    maxCaptions: LIMITS.captions,
    captionMaxBytes: LIMITS.captionBytes,
    captionTypes: [...CAPTION_MIME_TYPES],
  },
  threads: { maxSegments: LIMITS.segments },
  languages: { max: LIMITS.langs },
  contentWarnings: false,
  auth: { kinds: ["app_password", "oauth"], tokensExpire: true },
  idempotency: { strategy: "record-key" },
};

const BLUESKY_INSTANCE_CHECK = { label: "PDS", path: "/xrpc/_health" };

export type BlueSkySettings = IdentitySettings & {
  /** branch video: Bluesky's video service; "" or unset = videos go straight to the PDS. */
  videoServiceUrl?: string;
  /** How often a video job is polled (tests shorten it). */
  videoPollMs?: number;
  /** Accounts connected through OAuth (branch oauth): their DID's OAuth session, when it has one. */
  oauth?: BlueskyOAuthSessions;
};

export interface BlueSkyService extends PlatformService {
  connect: NonNullable<PlatformService["connect"]>;
  refreshSession: NonNullable<PlatformService["refreshSession"]>;
  /** refreshSession; when the refresh token is refused, a new session from the stored app password; ReauthRequiredError when that is refused too. */
  forceRefreshTokens(account: PlatformAccount): Promise<PlatformSession>;
}

/**
 * Bluesky behind the PlatformService interface, with the settings of its AppContext. What
 * validation and the composer need is here; the calls to a PDS (blueSkyCalls.ts, with
 * @atproto/api: 26 MB of a process's memory) load on the first call that needs them, so a web
 * or worker that has not talked to Bluesky since it started does not carry them.
 */
export function createBlueSkyService(settings: BlueSkySettings): BlueSkyService {
  let loading: Promise<BlueSkyCalls> | undefined;
  const calls = (): Promise<BlueSkyCalls> =>
    (loading ??= import("./blueSkyCalls").then(
      (m) => m.createBlueSkyCalls(settings),
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    ));
  return {
    platform: "bluesky",
    descriptor: BLUESKY_DESCRIPTOR,
    instanceCheck: BLUESKY_INSTANCE_CHECK,
    newSegmentKeys: newRecordKeys,
    validate: validatePostContent,
    connect: async (input) => (await calls()).connect(input),
    refreshSession: async (account) => (await calls()).refreshSession(account),
    forceRefreshTokens: async (account) => (await calls()).forceRefreshTokens(account),
    publish: async (account, request) => (await calls()).publish(account, request),
    checkLimits: async (account, content) => (await calls()).checkLimits(account, content),
    findPublished: async (account, request) => (await calls()).findPublished(account, request),
  };
}
