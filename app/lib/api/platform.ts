/**
 * The one interface every social platform implements. apiManager holds the registry;
 * the post and token-refresh queues only ever talk to a PlatformService.
 */

import type { RichContent } from "./rich";

export type PlatformName = "bluesky";

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

/** The decrypted credentials of a stored account (never logged, never in job data). */
export interface AccountCredentials {
  appPassword: string;
  accessJwt: string;
  refreshJwt: string;
}

export interface PlatformAccount {
  id: string;
  did: string;
  handle: string;
  service: string;
  credentials: AccountCredentials;
}

export interface ImageInput {
  /** Base64 of the image bytes as sent by the client. */
  data: string;
  mimeType: string;
  alt: string;
}

/** One segment of a post (a thread has several, published as replies in order). */
export interface PostSegment {
  text: string;
  images?: ImageInput[];
}

export interface PostContent {
  segments: PostSegment[];
  langs?: string[];
  /** Link cards, quotes, labels, gates, reposts (see rich.ts); absent for a plain post. */
  rich?: RichContent;
}

export interface PublishRequest {
  /** Record key per segment, chosen at scheduling time; publishing writes exactly these records. */
  rkeys: string[];
  /** Fixed createdAt, so a retry writes byte-identical records. */
  createdAt: Date;
  content: PostContent;
  /**
   * The first segments, already live from an earlier attempt (in order): publishing continues
   * after them, replying to them, and never writes them again.
   */
  published?: PublishedRecord[];
}

export interface PublishedRecord {
  uri: string;
  cid: string;
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
  /** Logs in with an identifier and app password (createSession). */
  connect(input: { identifier: string; appPassword: string; service?: string }): Promise<PlatformSession>;
  /** Rotates the session with the refresh token. */
  refreshSession(account: PlatformAccount): Promise<PlatformSession>;
  /** Problems a person can fix before anything is stored (empty when valid). */
  validate(content: PostContent): string[];
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
}
