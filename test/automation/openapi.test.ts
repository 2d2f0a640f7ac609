import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoutes } from "@/app/lib/openapi/routes";
import { tinyPng } from "@/test/helpers/png";
import { startStack, type Stack } from "./stack";

/**
 * The OpenAPI document against the code: every route file's methods are documented and every
 * documented operation exists; every documented GET, requested from the built app, answers a
 * documented status with a body that validates against the documented schema.
 */
const root = path.resolve(import.meta.dirname, "../..");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
// The catch-all answers JSON 404 for unknown /api paths; it is not an operation of the API.
const NOT_OPERATIONS = new Set(["/api/{...path}"]);

type RequestBody = { content: Record<string, { schema: object }> };
type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; requestBody?: RequestBody; responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
};

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "__tests__" ? [] : routeFiles(p);
    return e.name === "route.ts" ? [p] : [];
  });
}

/** app/api/posts/[id]/route.ts → /api/posts/{id} */
const openApiPath = (file: string) =>
  "/" + path.relative(path.join(root, "app"), path.dirname(file)).split(path.sep).map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/");

describe("OpenAPI document", () => {
  let stack: Stack;
  let doc: Doc;
  let postId = "";

  beforeAll(async () => {
    stack = await startStack({ role: "admin", worker: false });
    const res = await fetch(`${stack.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
    // A post with an image an hour ahead (nothing publishes), so the id routes have something to show.
    const created = await api("POST", "/api/posts", {
      text: "documented post",
      accountIds: [stack.user.accountId],
      scheduledAt: new Date(Date.now() + 3600_000).toISOString(),
      images: [{ data: tinyPng().toString("base64"), mimeType: "image/png", alt: "a pink square" }],
    });
    expect(created.status).toBe(201);
    postId = ((await created.json()) as { post: { id: string } }).post.id;
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
  });

  // The Accept header an MCP client sends (POST /api/mcp requires it); the REST routes ignore it.
  const api = (method: string, p: string, body?: unknown, token: string | null = stack.user.token) =>
    fetch(`${stack.url}${p}`, {
      method,
      headers: { accept: "application/json, text/event-stream", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it("is served publicly as OpenAPI 3.1", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
  });

  it("documents exactly the methods each app/api route file exports", async () => {
    const inCode = new Set<string>();
    for (const file of routeFiles(path.join(root, "app/api"))) {
      const p = openApiPath(file);
      if (NOT_OPERATIONS.has(p)) continue;
      const mod = (await import(file)) as Record<string, unknown>;
      for (const m of METHODS) if (typeof mod[m] === "function") inCode.add(`${m} ${p}`);
    }
    const inDoc = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    expect([...inCode].filter((op) => !inDoc.has(op)), "routes missing from the document").toEqual([]);
    expect([...inDoc].filter((op) => !inCode.has(op)), "documented operations without a route").toEqual([]);
  }, 60_000);

  it("every documented GET answers a documented status whose body validates against the documented schema", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const values: Record<string, string> = { id: postId, segment: "0", n: "0" };
    const checked: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      const op = ops.get;
      if (!op) continue;
      // branch mastodon: the OAuth callback needs a live state from an instance; the conformance
      // suite (test/conformance) and e2e/mastodon.test.ts drive it end to end.
      if (p === "/api/accounts/mastodon/callback") continue;
      // {id} is an account on the accounts routes, a post elsewhere.
      const concrete = p.replace(/\{(\w+)\}/g, (_, name: string) => (name === "id" && p.startsWith("/api/accounts") ? stack.user.accountId : values[name]!));
      const res = await api("GET", concrete);
      expect(res.status, `GET ${concrete}`).toBe(200);
      const documented = op.responses[String(res.status)];
      expect(documented, `GET ${p} answered ${res.status}, which is not documented`).toBeDefined();
      const [mediaType, media] = Object.entries(documented!.content ?? {})[0] ?? [];
      const contentType = res.headers.get("content-type") ?? "";
      expect(contentType.startsWith((mediaType ?? "").replace("*", "")), `GET ${p} content-type ${contentType} vs ${mediaType}`).toBe(true);
      if (media?.schema) {
        const validate = ajv.compile(media.schema);
        const body: unknown = await res.json();
        expect(validate(body) ? [] : validate.errors, `GET ${p} body vs its documented schema`).toEqual([]);
      } else {
        await res.arrayBuffer();
      }
      checked.push(p);
    }
    expect(checked).toEqual(expect.arrayContaining(["/api/posts", "/api/posts/{id}", "/api/accounts/{id}", "/api/admin/queues", "/api/metrics"]));
  }, 120_000);

  it("every documented request body is enforced: what its schema refuses, the route answers 400", async () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    // An object with only an unknown field: every body schema here refuses it (required fields or strictness).
    const refused = { notAField: 1 };
    const withBody = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).flatMap(([method, op]) => (op.requestBody ? [{ method, p, schema: op.requestBody.content["application/json"]!.schema }] : [])),
    );
    expect(withBody.length).toBeGreaterThanOrEqual(6);
    for (const { method, p, schema } of withBody) {
      expect(ajv.validate(schema, refused), `${method} ${p}: the document refuses it`).toBe(false);
      const res = await api(method.toUpperCase(), p.replace("{id}", postId), refused);
      expect(res.status, `${method.toUpperCase()} ${p}: the route refuses it`).toBe(400);
    }
  });

  it("documented 401s are what an anonymous caller gets, in the documented error shape", async () => {
    const ajv = new Ajv2020({ strict: false });
    for (const p of ["/api/posts", "/api/accounts", "/api/me"]) {
      const res = await api("GET", p, undefined, null);
      expect(res.status).toBe(401);
      const validate = ajv.compile(doc.paths[p]!.get!.responses["401"]!.content!["application/json"]!.schema!);
      expect(validate(await res.json()), `GET ${p}`).toBe(true);
    }
  });

  it("the request examples in docs/API.md are valid for the operations they name", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const guide = readFileSync(path.join(root, "docs/API.md"), "utf8");
    const examples = [...guide.matchAll(/```json (GET|POST|PATCH|DELETE) (\S+)\n([\s\S]*?)```/g)];
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const [, method, p, text] of examples) {
      const body: unknown = JSON.parse(text!);
      const schema = doc.paths[p!]?.[method!.toLowerCase()]?.requestBody?.content["application/json"]?.schema;
      expect(schema, `${method} ${p} takes a JSON body in the document`).toBeDefined();
      const validate = ajv.compile(schema!);
      expect(validate(body) ? [] : validate.errors, `${method} ${p} example vs the document`).toEqual([]);
      // The zod schema also checks what JSON Schema cannot (time zones, refinements).
      const zodSchema = apiRoutes.find((r) => r.method === method!.toLowerCase() && r.path === p)!.body!;
      expect(zodSchema.safeParse(body).error?.issues ?? [], `${method} ${p} example vs the route's schema`).toEqual([]);
    }
  });

  it("renders a browsable reference at /api-docs", async () => {
    const res = await fetch(`${stack.url}/api-docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/api/openapi.json");
    for (const p of Object.keys(doc.paths)) expect(html).toContain(p);
  });
});
