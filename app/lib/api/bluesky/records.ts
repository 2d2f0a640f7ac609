import { XRPCError, type AppBskyFeedPost } from "@atproto/api";
import type { PdsClient } from "./client";
import { PermanentPlatformError } from "../platformErrors";
import type { PublishedRecord } from "../platform";
import type { SelfLabel } from "../rich";
import type { PostEmbed } from "./embeds";
import type { Facet } from "./facets";

export const POST_COLLECTION = "app.bsky.feed.post";

export interface PostRecordInput {
  text: string;
  createdAt: string;
  langs?: string[];
  facets?: Facet[];
  embed?: PostEmbed;
  labels?: SelfLabel[];
  reply?: { root: { uri: string; cid: string }; parent: { uri: string; cid: string } };
}

/** The record exactly as written: the same input always gives the same bytes (and CID). */
export function buildPostRecord(input: PostRecordInput): AppBskyFeedPost.Record {
  const record: AppBskyFeedPost.Record = { $type: POST_COLLECTION, text: input.text, createdAt: input.createdAt };
  if (input.langs && input.langs.length > 0) record.langs = input.langs;
  if (input.facets && input.facets.length > 0) record.facets = input.facets;
  if (input.embed) record.embed = input.embed;
  if (input.labels && input.labels.length > 0) {
    record.labels = { $type: "com.atproto.label.defs#selfLabels", values: input.labels.map((val) => ({ val })) };
  }
  if (input.reply) {
    record.reply = {
      root: { uri: input.reply.root.uri, cid: input.reply.root.cid },
      parent: { uri: input.reply.parent.uri, cid: input.reply.parent.cid },
    };
  }
  return record;
}

export interface WriteOutcome extends PublishedRecord {
  /** True when the record was already there (an earlier attempt wrote it). */
  existed: boolean;
}

/**
 * Writes the record under `rkey` create-only: putRecord with swapRecord null. The PDS
 * creates it when the key is free, answers without a commit when the identical record
 * is already there, and InvalidSwap when the key holds something else. In that last
 * case the record is read back: if it is our post (same text and createdAt — a retry
 * whose facets or blobs came out differently), it counts as published; otherwise
 * nothing is overwritten. createRecord is never used: on an existing key it fails
 * with a 500, which would look like a transient error and retry forever.
 */
export async function writeRecordOnce(
  client: PdsClient,
  did: string,
  rkey: string,
  record: AppBskyFeedPost.Record | WrittenRecord,
  collection: string = POST_COLLECTION,
): Promise<WriteOutcome> {
  try {
    const res = await client.com.atproto.repo.putRecord({
      repo: did,
      collection,
      rkey,
      record: record as unknown as Record<string, unknown>,
      swapRecord: null,
    });
    return { uri: res.data.uri, cid: res.data.cid, existed: !res.data.commit };
  } catch (err) {
    if (!(err instanceof XRPCError) || err.error !== "InvalidSwap") throw err;
  }
  const existing = await client.com.atproto.repo.getRecord({ repo: did, collection, rkey });
  if (isSameRecord(existing.data.value as unknown as WrittenRecord, record) && existing.data.cid) {
    return { uri: existing.data.uri, cid: existing.data.cid, existed: true };
  }
  throw differentRecord(rkey, existing.data.uri);
}

/** What identifies a record PostMore wrote: its fixed createdAt, and its text (posts) or subject (reposts, gates). */
export interface WrittenRecord {
  $type?: string;
  createdAt: string;
  text?: string;
  subject?: { uri: string };
  post?: string;
}

export function isSameRecord(found: WrittenRecord, ours: WrittenRecord): boolean {
  return found.createdAt === ours.createdAt && found.text === ours.text && found.subject?.uri === ours.subject?.uri && found.post === ours.post;
}

export function differentRecord(rkey: string, uri: string): PermanentPlatformError {
  const what = uri.includes(`/${POST_COLLECTION}/`) ? "post" : "record";
  return new PermanentPlatformError(`the record key ${rkey} already holds a different ${what} on Bluesky (${uri}); PostMore does not overwrite it`);
}

/** The record (a post unless `collection` says otherwise) under `rkey`, or undefined when there is none (RecordNotFound). Other failures propagate. */
export async function findRecord(
  client: PdsClient,
  did: string,
  rkey: string,
  collection: string = POST_COLLECTION,
): Promise<(PublishedRecord & { value: WrittenRecord }) | undefined> {
  try {
    const res = await client.com.atproto.repo.getRecord({ repo: did, collection, rkey });
    return res.data.cid ? { uri: res.data.uri, cid: res.data.cid, value: res.data.value as unknown as WrittenRecord } : undefined;
  } catch (err) {
    if (err instanceof XRPCError && (err.error === "RecordNotFound" || err.status === 404)) return undefined;
    throw err;
  }
}
