import type http from "node:http";
import { apiSchema, SchemaViolation } from "./apiSchema";
import type { MastodonDouble, RequestLog } from "./mastodonDouble";

/** One answer: validates it against the schema, sets rate headers, or drops it ("lost"). */
export class Reply {
  private readonly headers: Record<string, string> = {};
  private lose = false;
  private hold = false;

  constructor(
    private readonly double: MastodonDouble,
    private readonly res: http.ServerResponse,
    private readonly log: RequestLog,
    private readonly route: { name: string; template: string; method: string; fallbackSchema?: Record<number, string> } | undefined,
  ) {}

  setRateHeaders(limit: number, remaining: number, reset: Date): void {
    this.headers["X-RateLimit-Limit"] = String(limit);
    this.headers["X-RateLimit-Remaining"] = String(remaining);
    this.headers["X-RateLimit-Reset"] = reset.toISOString();
  }

  /** Does the work, then never answers (the client waits, as on a worker killed mid-call). */
  holdAfterCommit(): void {
    this.lose = true;
    this.hold = true;
  }

  loseAfterCommit(): void {
    this.lose = true;
  }

  json(status: number, body: unknown): void {
    const schemaDoc = apiSchema();
    const mutate = this.route && this.double.takeCorruption(this.route.name);
    if (mutate && body && typeof body === "object") mutate(body as Record<string, unknown>);
    const what = `${this.log.route} → ${status}`;
    let schema = this.route ? schemaDoc.responseSchema(this.route.template, this.route.method, status) : undefined;
    // Statuses the document lists without a body (206 of media) or not at all (5xx, 404 of an
    // unknown path): the real server sends its usual entity or an Error there.
    const fallback = this.route?.fallbackSchema?.[status] ?? (status >= 400 ? "Error" : undefined);
    if (!schema && fallback) schema = schemaDoc.component(fallback);
    if (!schema) throw new SchemaViolation(`${what}: the API declares no JSON body for this answer`);
    schemaDoc.check(schema, body, what);
    schemaDoc.checkHeaders(this.headers, what);
    if (this.lose) return this.drop();
    this.log.status = status;
    this.res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...this.headers }).end(JSON.stringify(body));
  }

  error(status: number, message: string, description?: string): void {
    this.json(status, description === undefined ? { error: message } : { error: message, error_description: description });
  }

  /** A body-less answer the API declares (302 of /oauth/authorize, 200 of /oauth/revoke). */
  redirect(location: string): void {
    if (this.lose) return this.drop();
    this.log.status = 302;
    this.res.writeHead(302, { location, ...this.headers }).end();
  }

  empty(status: number): void {
    if (this.lose) return this.drop();
    this.log.status = status;
    this.res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...this.headers }).end("{}");
  }

  /** The work is done but the client never hears of it: a lost response. */
  private drop(): void {
    this.log.status = "lost";
    if (!this.hold) this.res.socket?.destroy();
  }
}

/** JSON, urlencoded and multipart bodies, as Mastodon (Rails) accepts them all. */
export async function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json")) return JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  const form = await new Response(raw, { headers: { "content-type": type } }).formData();
  const body: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key.endsWith("[]")) {
      const name = key.slice(0, -2);
      body[name] = [...((body[name] as unknown[]) ?? []), value];
    } else body[key] = value;
  }
  return body;
}
