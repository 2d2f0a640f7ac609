import dns from "node:dns";
import { isIP } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from "undici";
import { refusedRange } from "./addresses";
import { parseAllowlist, type Allowlist } from "./allowlist";
import { findOutboundError, OutboundError } from "./errors";

/**
 * The one way PostMore reaches a URL that a user can influence (a PDS, a handle's
 * well-known file, a DID document). Every connection goes through one undici Agent whose
 * connector resolves the name itself, refuses any non-public address (see addresses.ts)
 * unless OUTBOUND_ALLOWLIST lists it, and then connects to exactly the address it checked,
 * so a DNS answer that changes between check and connect (rebinding) changes nothing.
 * Redirects are followed by hand, at most 3, each hop through the same connector.
 * One deadline covers the whole exchange, body included; the body is capped in bytes.
 */

export const JSON_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 3;

export interface OutboundInit extends RequestInit {
  /** Deadline for the whole exchange: connecting, every redirect hop, and reading the body. */
  timeoutMs: number;
  /** Most bytes of response body read before the call fails (default 1 MiB). */
  maxBytes?: number;
  maxRedirects?: number;
}

export type OutboundFetch = (input: string | URL, init: OutboundInit) => Promise<Response>;

/** All addresses of a name; injectable so tests can make a name resolve to a private address. */
export type LookupAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface Outbound {
  fetch: OutboundFetch;
  /**
   * The guarded undici Agent itself, for libraries that call fetch on their own (masto): pass
   * it as `dispatcher` and every connection goes through the same address checks.
   */
  dispatcher: Agent;
  allowlist: Allowlist;
  close(): Promise<void>;
}

export interface OutboundOptions {
  allowlist: Allowlist | string | readonly string[] | undefined;
  lookup?: LookupAll;
  /** Longest a TCP + TLS handshake may take (the per-call deadline still applies). */
  connectTimeoutMs?: number;
}

const systemLookup: LookupAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export function createOutbound(opts: OutboundOptions): Outbound {
  const allowlist =
    opts.allowlist && typeof opts.allowlist === "object" && "allowsHost" in opts.allowlist ? opts.allowlist : parseAllowlist(opts.allowlist);
  const lookup = opts.lookup ?? systemLookup;
  const base = buildConnector({ timeout: opts.connectTimeoutMs ?? 10_000 });

  const refusal = (host: string, address: string): OutboundError | undefined => {
    if (allowlist.allowsAddress(address)) return undefined;
    const range = refusedRange(address);
    if (!range) return undefined;
    const shown = host === address ? address : `${host} (${address})`;
    return new OutboundError("refused", `${shown} is a ${range} address: PostMore only connects to public addresses (see OUTBOUND_ALLOWLIST)`);
  };

  const connector: buildConnector.connector = (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(options.port) || (options.protocol === "https:" ? 443 : 80);
    if (allowlist.allowsHost(host, port)) return base(options, callback);
    if (isIP(host)) {
      const refused = refusal(host, host);
      return refused ? callback(refused, null) : base(options, callback);
    }
    lookup(host).then(
      (addresses) => {
        if (addresses.length === 0) return callback(new OutboundError("refused", `${host} has no address`), null);
        for (const { address } of addresses) {
          const refused = refusal(host, address);
          if (refused) return callback(refused, null);
        }
        // Connect to the addresses just checked, in order; the name is kept for SNI and certificate checks.
        const attempt = (i: number, lastError?: Error): void => {
          const next = addresses[i];
          if (!next) return callback(lastError ?? new Error(`could not connect to ${host}`), null);
          base({ ...options, hostname: next.address, servername: options.servername ?? host }, (err, socket) =>
            err ? attempt(i + 1, err) : callback(null, socket!),
          );
        };
        attempt(0);
      },
      (err: Error) => callback(err, null),
    );
  };

  const agent = new Agent({ connect: connector });

  const fetchGuarded: OutboundFetch = async (input, init) => {
    const { timeoutMs, maxBytes = JSON_MAX_BYTES, maxRedirects = DEFAULT_MAX_REDIRECTS, signal: callerSignal, ...rest } = init;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
    let url = checkUrl(input);
    let method = (rest.method ?? "GET").toUpperCase();
    let body = rest.body;
    const headers = new Headers(rest.headers);
    for (let hop = 0; ; hop++) {
      let res: Awaited<ReturnType<typeof undiciFetch>>;
      try {
        const request = { ...rest, method, body, headers, redirect: "manual", signal, dispatcher: agent } as unknown as UndiciRequestInit;
        res = await undiciFetch(url, request);
      } catch (err) {
        throw explain(err, url, deadline, timeoutMs);
      }
      const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
      if (!location) return capped(res, maxBytes, url);
      await res.body?.cancel().catch(() => undefined);
      if (hop >= maxRedirects) throw new OutboundError("redirects", `${url.host} redirected more than ${maxRedirects} times`);
      const next = checkUrl(new URL(location, url));
      if (next.origin !== url.origin) {
        // Credentials were meant for the first server only.
        headers.delete("authorization");
        headers.delete("cookie");
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
      } else if (body != null && !(typeof body === "string" || body instanceof Uint8Array || body instanceof ArrayBuffer)) {
        throw new OutboundError("redirects", `${url.host} redirected a request whose body cannot be sent twice`);
      }
      url = next;
    }
  };

  return { fetch: fetchGuarded, allowlist, dispatcher: agent, close: () => agent.close() };
}

/** http and https only; literal addresses are judged later by the connector (with the allowlist). */
function checkUrl(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new OutboundError("bad_url", `${JSON.stringify(String(input))} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new OutboundError("bad_url", `only http and https URLs can be fetched (got ${url.protocol})`);
  }
  if (url.username || url.password) throw new OutboundError("bad_url", "URLs with a user name or password are not fetched");
  return url;
}

function explain(err: unknown, url: URL, deadline: AbortSignal, timeoutMs: number): unknown {
  const guard = findOutboundError(err);
  if (guard) return guard;
  if (deadline.aborted) {
    return new OutboundError("timeout", `${url.host} timed out (no complete answer within ${timeoutMs} ms)`, { cause: err });
  }
  return err;
}

/** The response with its body counted: past `maxBytes` the read fails and the connection is dropped. */
function capped(res: Awaited<ReturnType<typeof undiciFetch>>, maxBytes: number, url: URL): Response {
  const init = { status: res.status, statusText: res.statusText, headers: new Headers([...res.headers]) };
  const tooLarge = () => new OutboundError("too_large", `${url.host} sent more than ${maxBytes} bytes`);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    void res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body || NULL_BODY_STATUS.has(res.status)) {
    void res.body?.cancel().catch(() => undefined);
    return new Response(null, init);
  }
  // A declared length within the cap, sent as is: HTTP/1.1 framing ends the body there, so
  // counting it again costs a stream per call for nothing (a compressed body is still counted:
  // undici inflates it, and the declared length is the compressed one).
  const encoding = res.headers.get("content-encoding");
  if (res.headers.has("content-length") && (!encoding || encoding === "identity")) return new Response(res.body as ReadableStream<Uint8Array>, init);
  let seen = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > maxBytes) controller.error(tooLarge());
      else controller.enqueue(chunk);
    },
  });
  return new Response((res.body as ReadableStream<Uint8Array>).pipeThrough(counter), init);
}
