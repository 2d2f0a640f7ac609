/**
 * The one interface every social platform implements. apiManager holds the registry;
 * the post and token-refresh queues only ever talk to a PlatformService.
 */

import type { RichContent } from "./rich";

export type PlatformName = "bluesky" | "mastodon";

/**
 * What a platform accepts and how it works, declared once by its service. Server validation
 * reads it, and so does the composer (GET /api/platforms), so no limit is copied anywhere.
 */
export interface PlatformDescriptor {
  name: PlatformName;
  /** Shown to people: "Bluesky", "Mastodon". */
  label: string;
  text: {
    maxLength: number;
    /** graphemes: user-perceived characters; graphemes-with-urls: the same, with every URL counted as `urlLength` (and `@user@host` as `@user`). */
    counting: "graphemes" | "graphemes-with-urls";
    urlLength?: number;
  };
  media: { maxCount: number; maxBytes: number; types: string[]; maxAltLength: number };
  /**
   * branch video: one video per post segment, never with images; absent when the platform
   * takes no video. Captions are WebVTT files, one per language.
   */
  video?: { maxBytes: number; types: string[]; maxAltLength: number; maxCaptions: number; captionMaxBytes: number; captionTypes: string[] };
  /** A thread: segments published as replies in order. */
  threads: { maxSegments: number };
  /** Languages a post may carry (0: none). */
  languages: { max: number };
  contentWarnings: boolean;
  /** How an account is connected. */
  auth: { kinds: Array<"app_password" | "oauth">; tokensExpire: boolean };
  /**
   * How a retry avoids a second post: record-key = the key is the record's own address (a
   * create-only write); header = the key is sent as Idempotency-Key and the platform remembers
   * it for `windowMs`, after which we look among recent posts.
   */
  idempotency: { strategy: "record-key" | "header"; windowMs?: number };
}

/** What a successful login or refresh gives back. Secrets: accessJwt, refreshJwt. */
export interface PlatformSession {
  did: string;
  handle: string;
  /** The account's PDS / API base URL. */
  service: string;
  accessJwt: string;
  refreshJwt: string;
  /** When the access token stops working (read from the JWT's exp). */
  accessExpiresAt: Date;
}

/** The decrypted credentials of a stored account (never logged, never in job data); "" when a kind has none. */
export interface AccountCredentials {
  appPassword: string;
  accessJwt: string;
  refreshJwt: string;
  /** An OAuth access token (Mastodon). */
  accessToken?: string;
}

export interface PlatformAccount {
  id: string;
  /** The account's id on the platform (Bluesky: DID; Mastodon: account id). */
  remoteId: string;
  handle: string;
  /** The instance URL (Bluesky: PDS; Mastodon: the server). */
  instanceUrl: string;
  credentials: AccountCredentials;
  /**
   * How the account was connected, when the caller read it. "app_password" tells the Bluesky
   * service there is no OAuth session to look up (a query per publish otherwise).
   */
  credentialsKind?: "app_password" | "oauth";
}

export interface ImageInput {
  /** Base64 of the image bytes as sent by the client. */
  data: string;
  mimeType: string;
  alt: string;
}

/** A stored file (large media are read from disk when sent, never held in memory as base64). */
export interface MediaFileInput {
  /** Path of the file in the media store. */
  file: string;
  mimeType: string;
  size: number;
}

/** branch video: a segment's video (mp4) with its alt text and caption files. */
export interface VideoInput extends MediaFileInput {
  alt: string;
  /** 0 when the file does not say. */
  width: number;
  height: number;
  captions: Array<MediaFileInput & { lang: string }>;
}

/**
 * What validation needs of an image: its type, size and alt text. A stored medium's row says
 * all three, so checking a post never reads (or base64-encodes) its image files.
 */
export interface ImageInfo {
  mimeType: string;
  alt: string;
  /** In bytes. */
  size: number;
}

/** An image's size in bytes (undefined: its data is not base64). */
export function imageSize(image: ImageInput | ImageInfo): number | undefined {
  if ("size" in image) return image.size;
  const clean = image.data.replace(/\s+/g, "");
  if (clean.length === 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, "base64").length;
}

/** One segment of a post (a thread has several, published as replies in order). */
export interface PostSegment<I = ImageInput> {
  text: string;
  images?: I[];
  video?: VideoInput;
}

export interface PostContent<I = ImageInput> {
  segments: Array<PostSegment<I>>;
  langs?: string[];
  /** Link cards, quotes, labels, gates, reposts (see rich.ts); absent for a plain post. */
  rich?: RichContent;
}

export interface PublishRequest {
  /**
   * Idempotency key per segment, chosen at scheduling time by newSegmentKeys: Bluesky writes
   * exactly these record keys, Mastodon sends them as Idempotency-Key.
   */
  rkeys: string[];
  /** Fixed createdAt, so a retry writes byte-identical records. */
  createdAt: Date;
  content: PostContent;
  /**
   * The first segments, already live from an earlier attempt (in order): publishing continues
   * after them, replying to them, and never writes them again.
   */
  published?: PublishedRecord[];
  /**
   * Set when an earlier attempt may have posted without us hearing back (this is not the
   * first attempt): no earlier than that attempt began. Platforms whose idempotency keys
   * expire look among recent posts when this is older than their window.
   */
  unclearSince?: Date;
}

/** What one segment became on the platform (schema.ts SegmentRecord). */
export interface PublishedRecord {
  uri: string;
  cid?: string;
  id?: string;
  url?: string | null;
}

export interface PublishResult {
  /** The first segment's record: the post's remote URI. */
  root: PublishedRecord;
  records: PublishedRecord[];
  /** True when every record was already on the platform (an earlier attempt wrote them). */
  alreadyPublished: boolean;
}

export interface PlatformService {
  readonly platform: PlatformName;
  readonly descriptor: PlatformDescriptor;
  /** What `postmore doctor` asks an account's instance to see it answers: what to call it, and a path that needs no token. */
  readonly instanceCheck: { label: string; path: string };
  /** One fresh idempotency key per segment, chosen when a post is scheduled. */
  newSegmentKeys(count: number): string[];
  /** Logs in with an identifier and app password (createSession); platforms without app passwords omit it. */
  connect?(input: { identifier: string; appPassword: string; service?: string }): Promise<PlatformSession>;
  /** Rotates the session with the refresh token; only for platforms whose tokens expire. */
  refreshSession?(account: PlatformAccount): Promise<PlatformSession>;
  /**
   * Problems a person can fix before anything is stored (empty when valid), judged by `limits`:
   * the account's own descriptor (descriptorFor), else this platform's `descriptor`.
   */
  validate(content: PostContent<ImageInput | ImageInfo>, limits?: PlatformDescriptor): string[];
  /**
   * The descriptor that holds for one account, where each server sets its own limits
   * (Mastodon: the instance's). Platforms with one set of limits omit it.
   */
  descriptorFor?(account: { instanceUrl: string }): Promise<PlatformDescriptor>;
  /** Writes the records create-only under the given keys; idempotent for identical content. */
  publish(account: PlatformAccount, request: PublishRequest): Promise<PublishResult>;
  /**
   * refreshSession, and when the refresh token is refused, a new session from the stored
   * app password; throws ReauthRequiredError when that is refused too. Optional: callers
   * fall back to refreshSession for platforms without it.
   */
  forceRefreshTokens?(account: PlatformAccount): Promise<PlatformSession>;
  /**
   * Looks each segment's record up by its key: what is live, in order, up to the first one
   * that is not. Asked before a delivery is marked failed after an unclear outcome (a timeout
   * may have hidden a write that succeeded). Optional for platforms that cannot look up by key.
   */
  findPublished?(account: PlatformAccount, request: PublishRequest): Promise<PublishedRecord[]>;
  /**
   * branch video: what only the platform can say right now about this content for this
   * account (Bluesky: may it upload this video today?). Asked before a post with a video is
   * stored, so one that would surely fail is never scheduled. Optional.
   */
  checkLimits?(account: PlatformAccount, content: PostContent<ImageInput | ImageInfo>): Promise<LimitCheck>;
}

/** refused: the platform says no (a person must change something); unreachable: it could not be asked. */
export type LimitCheck = { ok: true } | { ok: false; reason: "refused" | "unreachable"; message: string };
