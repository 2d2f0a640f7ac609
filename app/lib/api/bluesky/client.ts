import { AtpBaseClient, ComNS } from "@atproto/api";
import { JSON_MAX_BYTES, type Outbound } from "../../net/outbound";

/**
 * What PostMore calls on a PDS: the com.atproto methods, with a fixed bearer token (or
 * none), through the guarded outbound layer (app/lib/net: public addresses only unless
 * allowlisted, one deadline per call body included, 1 MiB answers at most).
 * No session manager: refreshing is ours to decide (under the account lock), never
 * something a library does behind our back.
 */
export type PdsClient = Pick<AtpBaseClient, "com">;

type XrpcClient = AtpBaseClient;

export interface PdsClientOptions {
  token?: string;
  timeoutMs: number;
  outbound: Outbound;
}

/**
 * One XRPC client per PDS (and timeout), shared by every account on it. Building an
 * AtpBaseClient compiles every lexicon schema (10–30 ms of CPU here, more than the rest of
 * a publish); doing that per publish or per refresh halved end-to-end throughput against
 * a local PDS. The map is bounded: PDS hosts are few, and an evicted one is rebuilt.
 * Kept per outbound layer, so a client never outlives the guard it was built with.
 */
const sharedByOutbound = new WeakMap<Outbound, Map<string, XrpcClient>>();
const MAX_SHARED = 64;

function sharedClient(service: string, timeoutMs: number, outbound: Outbound): XrpcClient {
  let shared = sharedByOutbound.get(outbound);
  if (!shared) sharedByOutbound.set(outbound, (shared = new Map()));
  const key = `${timeoutMs} ${service}`;
  let client = shared.get(key);
  if (!client) {
    const guardedFetch: typeof fetch = (input, init) =>
      outbound.fetch(input instanceof Request ? input.url : input, { ...init, timeoutMs, maxBytes: JSON_MAX_BYTES });
    client = new AtpBaseClient({ service, fetch: guardedFetch });
    if (shared.size >= MAX_SHARED) shared.delete(shared.keys().next().value!);
    shared.set(key, client);
  }
  return client;
}

/**
 * A client for one PDS and one token. The token travels as a header of each call on the
 * shared client (the `headers` call option), so nothing token-specific is ever stored on it.
 */
export function pdsClient(service: string, opts: PdsClientOptions): PdsClient {
  const client = sharedClient(service, opts.timeoutMs, opts.outbound);
  if (!opts.token) return { com: client.com };
  const authorization = `Bearer ${opts.token}`;
  // The namespaces only ever use their client's call(); this one adds the token to each.
  const authed = Object.create(client) as XrpcClient;
  authed.call = (nsid, params, data, callOpts) => client.call(nsid, params, data, { ...callOpts, headers: { ...callOpts?.headers, authorization } });
  return { com: new ComNS(authed) };
}

/** The `exp` of a JWT as a Date (no signature check: the PDS checks; we only plan refreshes). */
export function jwtExpiry(jwt: string, fallbackMs = 2 * 60 * 60 * 1000): Date {
  try {
    const payload = jwt.split(".")[1];
    if (payload) {
      const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
      if (typeof exp === "number" && Number.isFinite(exp)) return new Date(exp * 1000);
    }
  } catch {
    // fall through: an unreadable token is treated as a short-lived one
  }
  return new Date(Date.now() + fallbackMs);
}
