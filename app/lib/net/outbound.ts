import dns from "node:dns";
import { isIP } from "node:net";
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { Agent, buildConnector, request, type Dispatcher } from "undici";
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
 * One deadline covers the whole exchange, body included; the answer is read whole inside
 * the call (undici's request(), not fetch: a third of the CPU), capped in bytes.
 */

export const JSON_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_REDIRECTS = 3;

export interface OutboundInit extends Omit<RequestInit, "body"> {
  /** What fetch takes, or a Node stream (a file) sent as it is. */
  body?: RequestInit["body"] | Readable;
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
    const { timeoutMs, maxBytes = JSON_MAX_BYTES, maxRedirects = DEFAULT_MAX_REDIRECTS, signal: callerSignal } = init;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
    let url = checkUrl(input);
    let method = (init.method ?? "GET").toUpperCase();
    const headers = new Headers(init.headers);
    // What fetch would have sent when the caller did not say.
    if (!headers.has("accept")) headers.set("accept", "*/*");
    if (!headers.has("user-agent")) headers.set("user-agent", "PostMore");
    let body = await requestBody(init.body, headers);
    for (let hop = 0; ; hop++) {
      let location: string | undefined;
      let status: number;
      try {
        const res = await request(url, { method: method as Dispatcher.HttpMethod, headers: Object.fromEntries(headers), body, signal, dispatcher: agent });
        status = res.statusCode;
        location = status >= 300 && status < 400 ? headerValue(res.headers, "location") : undefined;
        if (!location) return await buffered(res, maxBytes, url);
        drop(res.body);
      } catch (err) {
        throw explain(err, url, deadline, timeoutMs, callerSignal);
      }
      if (hop >= maxRedirects) throw new OutboundError("redirects", `${url.host} redirected more than ${maxRedirects} times`);
      const next = checkUrl(new URL(location, url));
      if (next.origin !== url.origin) {
        // Credentials were meant for the first server only.
        headers.delete("authorization");
        headers.delete("cookie");
      }
      if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
        headers.delete("content-length");
      } else if (body != null && !(typeof body === "string" || body instanceof Uint8Array)) {
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

/**
 * Errors as fetch reports them, so callers (the XRPC client, the error classifiers) see one
 * shape: ours as they are, the caller's abort as its reason, a network failure as
 * "fetch failed" with the system error (ECONNREFUSED, …) as its cause.
 */
function explain(err: unknown, url: URL, deadline: AbortSignal, timeoutMs: number, callerSignal: AbortSignal | null | undefined): unknown {
  const guard = findOutboundError(err);
  if (guard) return guard;
  if (deadline.aborted) {
    return new OutboundError("timeout", `${url.host} timed out (no complete answer within ${timeoutMs} ms)`, { cause: err });
  }
  if (callerSignal?.aborted) return callerSignal.reason;
  return new TypeError("fetch failed", { cause: err });
}

type RequestBody = string | Uint8Array | Readable | undefined;

/**
 * The body as undici's request() takes it. Bytes and strings can be sent again after a
 * redirect; a stream (a video upload) cannot. Form bodies get fetch's content type.
 */
async function requestBody(body: OutboundInit["body"], headers: Headers): Promise<RequestBody> {
  if (body == null) return undefined;
  if (typeof body === "string" || body instanceof Uint8Array || body instanceof Readable) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) {
    if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
    return body.toString();
  }
  if (body instanceof Blob) {
    if (body.type && !headers.has("content-type")) headers.set("content-type", body.type);
    return new Uint8Array(await body.arrayBuffer());
  }
  if (body instanceof ReadableStream) return Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  // FormData: no caller sends one (multipart uploads go through masto with the dispatcher).
  throw new TypeError("internal: the outbound layer sends bytes, strings, URL-encoded forms, blobs and streams, not this body");
}

const INFLATE: Record<string, (buf: Buffer, opts: zlib.ZlibOptions) => Buffer> = {
  gzip: zlib.gunzipSync,
  "x-gzip": zlib.gunzipSync,
  deflate: zlib.inflateSync,
  br: zlib.brotliDecompressSync,
};

/**
 * PostMore does not ask for compressed answers, but a server may send one anyway: it is
 * inflated here, and counted inflated (a small gzip body can hold gigabytes of zeros).
 */
function inflated(bytes: Buffer, headers: Headers, maxBytes: number, tooLarge: () => OutboundError): Buffer {
  const inflate = INFLATE[headers.get("content-encoding")?.trim().toLowerCase() ?? ""];
  if (!inflate || bytes.byteLength === 0) return bytes;
  try {
    const out = inflate(bytes, { maxOutputLength: maxBytes });
    headers.delete("content-encoding");
    headers.delete("content-length");
    return out;
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge();
    throw err;
  }
}

/** Closes an answer's body (and its connection) without reading it; a late error is expected and ignored. */
function drop(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The answer as a fetch Response, its body read whole and counted: past `maxBytes` the
 * read stops, the connection is dropped and the call fails. Every answer PostMore reads is
 * small (JSON, a page's head, a thumbnail), so holding it in memory is cheaper than the
 * web-stream machinery of fetch (undici's request() costs about a third of fetch's CPU per call).
 */
async function buffered(res: Dispatcher.ResponseData, maxBytes: number, url: URL): Promise<Response> {
  const tooLarge = () => new OutboundError("too_large", `${url.host} sent more than ${maxBytes} bytes`);
  if (Number(headerValue(res.headers, "content-length") ?? "0") > maxBytes) {
    drop(res.body);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let seen = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    seen += chunk.byteLength;
    if (seen > maxBytes) {
      drop(res.body);
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  const bytes = inflated(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), headers, maxBytes, tooLarge);
  const body = NULL_BODY_STATUS.has(res.statusCode) ? null : new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  return new Response(body, { status: res.statusCode, headers });
}
