import type { AppBskyFeedPost, AppBskyFeedPostgate, AppBskyFeedThreadgate } from "@atproto/api";
import type { ReplyControl } from "../rich";
import type { PdsClient } from "./client";
import { differentRecord, findRecord, isSameRecord, POST_COLLECTION, writeRecordOnce, type WriteOutcome, type WrittenRecord } from "./records";

export const THREADGATE_COLLECTION = "app.bsky.feed.threadgate";
export const POSTGATE_COLLECTION = "app.bsky.feed.postgate";

const RULES = {
  mention: "app.bsky.feed.threadgate#mentionRule",
  following: "app.bsky.feed.threadgate#followingRule",
  followers: "app.bsky.feed.threadgate#followerRule",
} as const;

export interface Gates {
  threadgate?: AppBskyFeedThreadgate.Record;
  postgate?: AppBskyFeedPostgate.Record;
}

/** The gate records of a post (same key as the post, as the lexicons require); none for "everyone". */
export function buildGates(postUri: string, createdAt: string, opts: { replyControl?: ReplyControl; disableQuotes?: boolean }): Gates {
  const gates: Gates = {};
  const control = opts.replyControl;
  if (control && control !== "everyone") {
    // An empty allow list means nobody may reply.
    const allow = control === "nobody" ? [] : [...new Set(control.allow)].map((rule) => ({ $type: RULES[rule] }));
    gates.threadgate = { $type: THREADGATE_COLLECTION, post: postUri, allow, createdAt };
  }
  if (opts.disableQuotes) {
    gates.postgate = {
      $type: POSTGATE_COLLECTION,
      post: postUri,
      createdAt,
      embeddingRules: [{ $type: "app.bsky.feed.postgate#disableRule" }],
    };
  }
  return gates;
}

function gateList(gates: Gates): Array<{ collection: string; value: WrittenRecord }> {
  const list: Array<{ collection: string; value: WrittenRecord }> = [];
  if (gates.threadgate) list.push({ collection: THREADGATE_COLLECTION, value: gates.threadgate });
  if (gates.postgate) list.push({ collection: POSTGATE_COLLECTION, value: gates.postgate });
  return list;
}

/**
 * Writes a post and its gates in ONE applyWrites (all or nothing), exactly once.
 * applyWrites#create on a key that exists fails with a 500, so the key is read first: a post
 * an earlier attempt wrote (a lost answer, a crashed worker) is never written again. When
 * the applyWrites itself fails, its outcome is unclear (the answer may be what was lost):
 * the key is read again before anything else is written. A post found in place gets any gate
 * it lacks with putRecord (swapRecord null: create-only), so each gate exists exactly once.
 */
export async function writePostWithGates(
  client: PdsClient,
  did: string,
  rkey: string,
  record: AppBskyFeedPost.Record,
  gates: Gates,
): Promise<WriteOutcome> {
  const list = gateList(gates);
  if (list.length === 0) return writeRecordOnce(client, did, rkey, record);

  let existing = await findRecord(client, did, rkey);
  let existed = true;
  if (!existing) {
    try {
      const res = await client.com.atproto.repo.applyWrites({
        repo: did,
        writes: [
          { $type: "com.atproto.repo.applyWrites#create", collection: POST_COLLECTION, rkey, value: record as unknown as Record<string, unknown> },
          ...list.map((g) => ({ $type: "com.atproto.repo.applyWrites#create" as const, collection: g.collection, rkey, value: g.value as unknown as Record<string, unknown> })),
        ],
      });
      const first = res.data.results?.[0] as { uri?: string; cid?: string } | undefined;
      if (first?.uri && first.cid) return { uri: first.uri, cid: first.cid, existed: false };
    } catch (err) {
      existing = await findRecord(client, did, rkey);
      if (!existing) throw err;
    }
    existing ??= await findRecord(client, did, rkey);
    if (!existing) throw new Error(`applyWrites answered without the post's record (${did}/${rkey})`);
    existed = false;
  }
  if (!isSameRecord(existing.value, record as WrittenRecord)) throw differentRecord(rkey, existing.uri);
  for (const gate of list) {
    if (!(await findRecord(client, did, rkey, gate.collection))) await writeRecordOnce(client, did, rkey, gate.value, gate.collection);
  }
  return { uri: existing.uri, cid: existing.cid, existed };
}
