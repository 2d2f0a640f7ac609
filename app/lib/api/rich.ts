/**
 * Rich post options (DESIGN.md, contract v1.3): link cards, quotes, self-labels, reply and
 * quote controls, reposts. Stored with the post's content and handed to the platform in
 * PublishRequest.content.rich; a platform applies what it supports (Bluesky all of them).
 */

export const SELF_LABELS = ["porn", "sexual", "nudity", "graphic-media"] as const;
export type SelfLabel = (typeof SELF_LABELS)[number];

export const REPLY_ALLOW = ["mention", "following", "followers"] as const;
export type ReplyControl = "everyone" | "nobody" | { allow: Array<(typeof REPLY_ALLOW)[number]> };

/** Per thread segment (index-aligned with PostContent.segments). */
export interface RichSegment {
  /** Default true: the first link of the text becomes a card. */
  linkCard?: boolean;
  /** at:// URI or https://bsky.app/profile/…/post/… URL of the post quoted. */
  quote?: string;
  labels?: SelfLabel[];
  disableQuotes?: boolean;
}

export interface RichContent {
  segments?: RichSegment[];
  /** Who may reply to the thread (a gate on its first post). */
  replyControl?: ReplyControl;
  /** Set for a scheduled repost: the post's only content is the subject it reposts. */
  repost?: { subject: string };
}
