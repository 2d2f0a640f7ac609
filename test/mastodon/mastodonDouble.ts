import http from "node:http";
import type { AddressInfo } from "node:net";
import { SchemaViolation } from "./apiSchema";
import type { MediaRecord, StatusRecord, UserRecord } from "./entities";
import { readBody, Reply } from "./reply";
import type { Handler } from "./route";
import { IDEMPOTENCY_TTL_MS, ROUTES } from "./routes";

/**
 * A Mastodon server on loopback for tests (no real one can be installed here). It speaks the
 * parts of the API PostMore uses: apps, OAuth with PKCE, instance v2, media v2, statuses with
 * Idempotency-Key, rate-limit headers. Every JSON answer is checked against the official API
 * schema before it is sent; a mismatch is answered with 500 and recorded, and `close()` then
 * throws, so a test cannot pass on an answer the real API would never give.
 */

export interface MastodonDoubleOptions {
  /** The user `/oauth/authorize` approves without asking. */
  username?: string;
  /** Milliseconds since the epoch; tests move it to expire idempotency keys and rate windows. */
  now?: () => number;
  /** How many times GET /api/v1/media/:id answers 206 (processing) before 200. */
  mediaProcessingPolls?: number;
  maxCharacters?: number;
  maxMediaAttachments?: number;
  descriptionLimit?: number;
  /** Requests per token per five minutes, as Mastodon's default limit (300). */
  rateLimit?: number;
}

/** What a route answers instead of its normal answer, for the next `times` requests. */
export type Fault =
  | { status: 401 | 403 | 404 | 422 | 500 | 502 | 503; message?: string }
  | { status: 429; resetInSeconds?: number }
  /** Does the work (a status is committed), then drops the connection without answering. */
  | { status: "lost" }
  /** Does the work, then keeps the connection open without ever answering (until close()). */
  | { status: "held" };

export interface AppRecord {
  id: string;
  name: string;
  website: string | null;
  scopes: string[];
  redirectUris: string[];
  clientId: string;
  clientSecret: string;
}

export interface TokenRecord {
  token: string;
  userId: string;
  appId: string | null;
  scopes: string[];
  createdAt: number;
  revoked: boolean;
}

export interface CodeRecord {
  code: string;
  appId: string;
  userId: string;
  redirectUri: string;
  scopes: string[];
  challenge: string | null;
  used: boolean;
}

export interface RequestLog {
  method: string;
  /** The route template, e.g. `POST /api/v1/statuses`. */
  route: string;
  path: string;
  idempotencyKey: string | null;
  status: number | "lost";
}

export { IDEMPOTENCY_TTL_MS };
const RATE_WINDOW_MS = 5 * 60 * 1000;

export class MastodonDouble {
  readonly now: () => number;
  readonly limits: { maxCharacters: number; maxMedia: number; descriptionLimit: number; mediaProcessingPolls: number };
  readonly apps = new Map<string, AppRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly codes = new Map<string, CodeRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly media = new Map<string, MediaRecord>();
  /** Every committed status, oldest first. */
  readonly statuses: StatusRecord[] = [];
  readonly idempotency = new Map<string, { statusId: string; at: number }>();
  readonly requests: RequestLog[] = [];
  readonly violations: string[] = [];
  readonly user: UserRecord;
  private readonly rateLimit: number;
  private readonly rateCounts = new Map<string, number>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly corruptions = new Map<string, (body: Record<string, unknown>) => void>();
  private nextId = 110_000_000_000_000_000n;
  private server!: http.Server;
  url = "";
  host = "";

  constructor(options: MastodonDoubleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.rateLimit = options.rateLimit ?? 300;
    this.limits = {
      maxCharacters: options.maxCharacters ?? 500,
      maxMedia: options.maxMediaAttachments ?? 4,
      descriptionLimit: options.descriptionLimit ?? 1500,
      mediaProcessingPolls: options.mediaProcessingPolls ?? 2,
    };
    this.user = { id: this.newId(), username: options.username ?? "alice", createdAt: new Date(this.now()), statusesCount: 0 };
    this.users.set(this.user.id, this.user);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    return this;
  }

  /** Stops the server; throws when any answer broke the API schema. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.assertNoViolations();
  }

  assertNoViolations(): void {
    if (this.violations.length > 0) throw new SchemaViolation(this.violations.join("\n"));
  }

  /** The next `times` requests to `route` (e.g. `POST /api/v1/statuses`) answer `fault`. */
  failNext(route: string, fault: Fault, times = 1): void {
    if (!ROUTES.some((r) => r.name === route)) throw new Error(`unknown route ${route}`);
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...Array<Fault>(times).fill(fault)]);
  }

  /** Lets a test damage the next answer of `route`, to prove the schema check catches it. */
  corruptNext(route: string, mutate: (body: Record<string, unknown>) => void): void {
    this.corruptions.set(route, mutate);
  }

  /** A token for the test user without the OAuth dance (for tests about publishing). */
  issueToken(scopes = ["read", "write"]): string {
    const token = `tok_${this.newId()}`;
    this.tokens.set(token, { token, userId: this.user.id, appId: null, scopes, createdAt: this.now(), revoked: false });
    return token;
  }

  revokeToken(token: string): void {
    const record = this.tokens.get(token);
    if (record) record.revoked = true;
  }

  statusesOf(userId = this.user.id): StatusRecord[] {
    return this.statuses.filter((s) => s.accountId === userId);
  }

  newId(): string {
    this.nextId += 1n + BigInt(Math.floor(Math.random() * 1000));
    return this.nextId.toString();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    const match = matchRoute(method, url.pathname);
    const log: RequestLog = {
      method,
      route: match?.route.name ?? `${method} ${url.pathname}`,
      path: url.pathname,
      idempotencyKey: header(req, "idempotency-key"),
      status: 0,
    };
    this.requests.push(log);
    const reply = new Reply(this, res, log, match?.route);
    try {
      if (!match) return reply.error(404, "Not Found");
      const body = await readBody(req).catch(() => undefined);
      const token = bearer(req);
      if (!this.countRequest(token ?? `ip:${req.socket.remoteAddress}`, reply)) return;
      const fault = this.faults.get(match.route.name)?.shift();
      if (fault && fault.status !== "lost" && fault.status !== "held") return this.answerFault(fault, reply);
      if (!body) return reply.error(400, "The request body could not be parsed");
      if (fault?.status === "held") reply.holdAfterCommit();
      else if (fault) reply.loseAfterCommit();
      const ctx = { double: this, req, url, params: match.params, body, token, reply };
      await match.route.handler(ctx);
    } catch (err) {
      this.violations.push(err instanceof Error ? err.message : String(err));
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "test double failure" }));
    }
  }

  /** Mastodon's limit: per token (or per address) per five-minute window, headers on every answer. */
  private countRequest(who: string, reply: Reply): boolean {
    const windowStart = Math.floor(this.now() / RATE_WINDOW_MS) * RATE_WINDOW_MS;
    const key = `${who}@${windowStart}`;
    const used = (this.rateCounts.get(key) ?? 0) + 1;
    this.rateCounts.set(key, used);
    reply.setRateHeaders(this.rateLimit, Math.max(0, this.rateLimit - used), new Date(windowStart + RATE_WINDOW_MS));
    if (used <= this.rateLimit) return true;
    reply.error(429, "Too many requests");
    return false;
  }

  private answerFault(fault: Exclude<Fault, { status: "lost" | "held" }>, reply: Reply): void {
    if (fault.status === 429) {
      const reset = new Date(this.now() + (fault.resetInSeconds ?? 60) * 1000);
      reply.setRateHeaders(this.rateLimit, 0, reset);
      return reply.error(429, "Too many requests");
    }
    const defaults: Record<number, string> = {
      401: "The access token is invalid",
      403: "This action is not allowed",
      404: "Record not found",
      422: "Validation failed: Text can't be blank",
      500: "We're sorry, but something went wrong on our end.",
      502: "Bad Gateway",
      503: "Service Unavailable",
    };
    reply.error(fault.status, fault.message ?? defaults[fault.status] ?? "Error");
  }

  takeCorruption(route: string): ((body: Record<string, unknown>) => void) | undefined {
    const mutate = this.corruptions.get(route);
    this.corruptions.delete(route);
    return mutate;
  }
}

export interface HandlerContext {
  double: MastodonDouble;
  req: http.IncomingMessage;
  url: URL;
  params: Record<string, string>;
  body: Record<string, unknown>;
  token: string | null;
  reply: Reply;
}
export type { Handler };

function matchRoute(method: string, pathname: string) {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(pathname);
    if (m) return { route, params: m.groups ?? {} };
  }
  return undefined;
}

function header(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === "string" ? value : null;
}

function bearer(req: http.IncomingMessage): string | null {
  const auth = header(req, "authorization");
  return auth?.startsWith("Bearer ") ? auth.slice(7) : null;
}
