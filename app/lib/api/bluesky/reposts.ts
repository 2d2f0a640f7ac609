import type { AppBskyFeedRepost } from "@atproto/api";
import type { PdsClient } from "./client";
import type { IdentitySettings } from "./identity";
import { resolvePostRef } from "./postRef";
import { writeRecordOnce, type WriteOutcome } from "./records";

export const REPOST_COLLECTION = "app.bsky.feed.repost";

/**
 * A scheduled repost: an app.bsky.feed.repost record under the key chosen at scheduling,
 * written create-only like a post, so a retry never reposts twice.
 */
export async function publishRepost(
  client: PdsClient,
  settings: IdentitySettings,
  did: string,
  rkey: string,
  subject: string,
  createdAt: string,
): Promise<WriteOutcome> {
  const record: AppBskyFeedRepost.Record = { $type: REPOST_COLLECTION, subject: await resolvePostRef(subject, settings), createdAt };
  return writeRecordOnce(client, did, rkey, record, REPOST_COLLECTION);
}
