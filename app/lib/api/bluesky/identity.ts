import dns from "node:dns";
import { XRPCError } from "@atproto/api";
import { getHandle, getPdsEndpoint, isValidDidDoc, type DidDocument } from "@atproto/common-web";
import { AppError } from "../../errors";
import { findOutboundError } from "../../net/errors";
import type { Outbound } from "../../net/outbound";
import { pdsClient } from "./client";

/**
 * Handles and DIDs, resolved the atproto way but through PostMore's guarded outbound layer
 * (app/lib/net): a handle's well-known file, a did:web document and the PLC directory are
 * all URLs a user can steer, so none of them is fetched with a bare fetch().
 */
export interface IdentitySettings {
  plcUrl: string;
  /** Asked (com.atproto.identity.resolveHandle) when DNS and HTTPS well-known give no answer. */
  handleResolverUrl: string;
  timeoutMs: number;
  outbound: Outbound;
}

const SMALL_ANSWER_BYTES = 64 * 1024;

/** "@alice.bsky.social" → "alice.bsky.social"; DIDs pass through. */
export function normaliseIdentifier(identifier: string): string {
  const trimmed = identifier.trim();
  return trimmed.startsWith("@") ? trimmed.slice(1) : trimmed;
}

const DOMAIN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i;

async function handleFromDns(handle: string, timeoutMs: number): Promise<string | undefined> {
  const resolver = new dns.promises.Resolver({ timeout: Math.min(timeoutMs, 5_000), tries: 1 });
  try {
    const found = (await resolver.resolveTxt(`_atproto.${handle}`)).map((c) => c.join("")).filter((t) => t.startsWith("did="));
    return found.length === 1 ? found[0]!.slice(4) : undefined;
  } catch {
    return undefined;
  }
}

async function handleFromWellKnown(handle: string, settings: IdentitySettings): Promise<string | undefined> {
  try {
    const res = await settings.outbound.fetch(`https://${handle}/.well-known/atproto-did`, {
      timeoutMs: settings.timeoutMs,
      maxBytes: 2048,
    });
    if (!res.ok) return undefined;
    const did = (await res.text()).split("\n")[0]?.trim();
    return did?.startsWith("did:") ? did : undefined;
  } catch {
    return undefined;
  }
}

/** handle → DID: DNS TXT and HTTPS well-known (the atproto way), then the configured resolver service. */
export async function resolveHandle(handle: string, settings: IdentitySettings): Promise<string | undefined> {
  if (!DOMAIN.test(handle)) return undefined;
  const [fromDns, fromHttp] = await Promise.all([handleFromDns(handle, settings.timeoutMs), handleFromWellKnown(handle, settings)]);
  if (fromDns ?? fromHttp) return fromDns ?? fromHttp;
  try {
    const client = pdsClient(settings.handleResolverUrl, { timeoutMs: settings.timeoutMs, outbound: settings.outbound });
    const res = await client.com.atproto.identity.resolveHandle({ handle });
    return res.data.did;
  } catch {
    return undefined;
  }
}

/** Where a DID's document lives: the PLC directory, or the did:web host's well-known file. */
function didDocumentUrl(did: string, plcUrl: string): string {
  if (/^did:plc:[a-z2-7]{24}$/.test(did)) return `${plcUrl.replace(/\/$/, "")}/${did}`;
  const web = /^did:web:([a-zA-Z0-9.-]+(%3[aA]\d+)?)$/.exec(did);
  if (web) {
    const host = decodeURIComponent(web[1] as string);
    // atproto allows a port only for local testing on localhost, over plain http.
    return `${host.startsWith("localhost:") ? "http" : "https"}://${host}/.well-known/did.json`;
  }
  throw new AppError("unprocessable", `${JSON.stringify(did)} is not a did:plc or did:web identifier`);
}

export async function resolveDidDocument(did: string, settings: IdentitySettings): Promise<DidDocument> {
  const url = didDocumentUrl(did, settings.plcUrl);
  let res: Response;
  let body: unknown;
  try {
    res = await settings.outbound.fetch(url, { timeoutMs: settings.timeoutMs, maxBytes: SMALL_ANSWER_BYTES });
    if (res.status === 404 || res.status === 410) throw new AppError("unprocessable", `the account ${did} does not exist`);
    if (!res.ok) throw new AppError("upstream_unreachable", `the DID directory answered ${res.status} for ${did}`);
    body = await res.json();
  } catch (err) {
    if (err instanceof AppError) throw err;
    const guard = findOutboundError(err);
    if (guard?.reason === "refused" || guard?.reason === "bad_url") throw new AppError("unprocessable", `cannot look up ${did}: ${guard.message}`);
    throw new AppError("upstream_unreachable", `could not look up ${did} in the DID directory: ${guard?.message ?? "no valid answer"}`);
  }
  if (!isValidDidDoc(body) || body.id !== did) throw new AppError("unprocessable", `the DID document of ${did} is not valid`);
  return body;
}

/** DID → the URL of the PDS hosting it, from its DID document (PLC directory or did:web). */
export async function resolvePdsOfDid(did: string, settings: IdentitySettings): Promise<string> {
  const pds = getPdsEndpoint(await resolveDidDocument(did, settings));
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

/**
 * A server's word on who logged in is not enough: any server can answer createSession
 * with someone else's DID and handle. The DID document must name the handle, the handle
 * must resolve back to the DID, and the document's PDS must be the server we logged in
 * at. When the URLs differ (an entryway such as bsky.social, or 127.0.0.1 vs localhost),
 * the document's PDS must accept the session just issued: a fake server's token is
 * refused by the real PDS. Anything else → 422.
 */
export async function verifyIdentity(
  session: { did: string; handle: string; service: string; accessJwt: string },
  settings: IdentitySettings,
): Promise<void> {
  const doc = await resolveDidDocument(session.did, settings);
  const handle = session.handle.toLowerCase();
  const docHandle = getHandle(doc)?.toLowerCase();
  if (docHandle !== handle) {
    throw new AppError("unprocessable", `the server says this is @${handle}, but the DID document of ${session.did} names ${docHandle ? `@${docHandle}` : "no handle"}`);
  }
  if ((await resolveHandle(handle, settings)) !== session.did) {
    throw new AppError("unprocessable", `the handle @${handle} does not resolve to ${session.did}`);
  }
  const pds = getPdsEndpoint(doc);
  if (!pds) throw new AppError("unprocessable", `the account ${session.did} names no PDS in its DID document`);
  if (sameOrigin(pds, session.service)) return;
  const notItsPds = () =>
    new AppError("unprocessable", `${session.service} is not the PDS of ${session.did} (its DID document names ${new URL(pds).origin})`);
  try {
    const client = pdsClient(pds, { token: session.accessJwt, timeoutMs: settings.timeoutMs, outbound: settings.outbound });
    const res = await client.com.atproto.server.getSession();
    if (res.data.did !== session.did) throw notItsPds();
  } catch (err) {
    if (err instanceof AppError) throw err;
    const guard = findOutboundError(err);
    if (guard?.reason === "refused" || guard?.reason === "bad_url") throw notItsPds();
    if (err instanceof XRPCError && err.status >= 400 && err.status < 500) throw notItsPds();
    throw new AppError("upstream_unreachable", `could not reach ${new URL(pds).origin}, the PDS named by ${session.did}, to check the account`);
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
