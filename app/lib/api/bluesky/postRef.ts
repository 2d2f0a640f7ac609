import { XRPCError } from "@atproto/api";
import { AppError } from "../../errors";
import { PermanentPlatformError } from "../platformErrors";
import { pdsClient } from "./client";
import { resolveHandle, resolvePdsOfDid, type IdentitySettings } from "./identity";
import { parsePostRef, type StrongRef } from "./postLink";
import { POST_COLLECTION } from "./records";

/**
 * The post's URI and current CID, read with getRecord from its author's own PDS (the DID
 * document says which): a quote or repost must name the exact version it points at.
 */
export async function resolvePostRef(input: string, settings: IdentitySettings): Promise<StrongRef> {
  const ref = parsePostRef(input);
  if (!ref) throw new PermanentPlatformError(`${JSON.stringify(input)} is not a Bluesky post link (at://… or https://bsky.app/profile/…/post/…)`);
  const did = ref.repo.startsWith("did:") ? ref.repo : await resolveHandle(ref.repo.toLowerCase(), settings);
  if (!did) throw new PermanentPlatformError(`the handle @${ref.repo} of the quoted or reposted post does not exist`);
  const pds = await resolvePdsOfDid(did, settings).catch((err: unknown) => {
    // "No such account" is for a person to fix; an unreachable directory is worth a retry.
    throw err instanceof AppError && err.code === "unprocessable" ? new PermanentPlatformError(err.message) : err;
  });
  const client = pdsClient(pds, { timeoutMs: settings.timeoutMs, outbound: settings.outbound });
  try {
    const res = await client.com.atproto.repo.getRecord({ repo: did, collection: POST_COLLECTION, rkey: ref.rkey });
    if (!res.data.cid) throw new PermanentPlatformError(`the post ${res.data.uri} has no CID on its PDS`);
    return { uri: res.data.uri, cid: res.data.cid };
  } catch (err) {
    if (err instanceof XRPCError && (err.error === "RecordNotFound" || err.status === 404)) {
      throw new PermanentPlatformError(`the post at://${did}/${POST_COLLECTION}/${ref.rkey} does not exist (deleted?)`);
    }
    throw err;
  }
}
