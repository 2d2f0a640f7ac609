import { getPdsEndpoint } from "@atproto/common-web";
import { DidResolver, HandleResolver } from "@atproto/identity";
import { AppError } from "../../errors";
import { pdsClient } from "./client";

export interface IdentitySettings {
  plcUrl: string;
  /** Asked (com.atproto.identity.resolveHandle) when DNS and HTTPS well-known give no answer. */
  handleResolverUrl: string;
  timeoutMs: number;
}

/** "@alice.bsky.social" → "alice.bsky.social"; DIDs pass through. */
export function normaliseIdentifier(identifier: string): string {
  const trimmed = identifier.trim();
  return trimmed.startsWith("@") ? trimmed.slice(1) : trimmed;
}

/** handle → DID: DNS TXT, then HTTPS well-known (the atproto way), then the configured resolver service. */
export async function resolveHandle(handle: string, settings: IdentitySettings): Promise<string | undefined> {
  const direct = await new HandleResolver({ timeout: settings.timeoutMs }).resolve(handle).catch(() => undefined);
  if (direct) return direct;
  try {
    const client = pdsClient(settings.handleResolverUrl, { timeoutMs: settings.timeoutMs });
    const res = await client.com.atproto.identity.resolveHandle({ handle });
    return res.data.did;
  } catch {
    return undefined;
  }
}

/** DID → the URL of the PDS hosting it, from its DID document (PLC directory or did:web). */
export async function resolvePdsOfDid(did: string, settings: IdentitySettings): Promise<string> {
  const resolver = new DidResolver({ plcUrl: settings.plcUrl, timeout: settings.timeoutMs });
  let doc;
  try {
    doc = await resolver.resolve(did);
  } catch (err) {
    throw new AppError("upstream_unreachable", `could not look up ${did} in the DID directory: ${(err as Error).message}`);
  }
  if (!doc) throw new AppError("unprocessable", `the account ${did} does not exist`);
  const pds = getPdsEndpoint(doc);
  if (!pds) throw new AppError("unprocessable", `the account ${did} names no PDS in its DID document`);
  return pds;
}

/**
 * Finds the PDS of an identifier (handle or DID) when the person did not give one.
 * An email address cannot be resolved: they must give the handle, or the service URL.
 */
export async function resolveIdentifier(
  identifier: string,
  settings: IdentitySettings,
): Promise<{ did: string; service: string }> {
  const id = normaliseIdentifier(identifier);
  if (id.includes("@")) {
    throw new AppError("unprocessable", "to log in with an email address, also give the PDS URL as `service` (or use your handle)");
  }
  const did = id.startsWith("did:") ? id : await resolveHandle(id.toLowerCase(), settings);
  if (!did) throw new AppError("unprocessable", `could not find the Bluesky handle @${id}: check the spelling, or give the PDS URL as \`service\``);
  return { did, service: await resolvePdsOfDid(did, settings) };
}
