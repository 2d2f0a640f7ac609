import { z } from "zod";
import { errorResponse } from "./responses";
import { apiRoutes, type ApiRoute, type RouteAuth } from "./routes";

/** JSON Schema (draft 2020-12, what OpenAPI 3.1 uses) of a zod schema, without the `$schema` tag. */
export function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

const security: Record<RouteAuth, Array<Record<string, string[]>>> = {
  none: [],
  user: [{ bearerToken: [] }, { sessionCookie: [] }],
  admin: [{ bearerToken: [] }, { sessionCookie: [] }],
  metrics: [{ bearerToken: [] }, { sessionCookie: [] }],
  bearer: [{ bearerToken: [] }],
};

const authNote: Record<RouteAuth, string> = {
  none: "No authentication.",
  user: "API token or session cookie.",
  admin: "API token or session of an admin.",
  metrics: "Admin token or session, or `Bearer $METRICS_TOKEN`.",
  bearer: "API token (`Authorization: Bearer pmt_…`) only.",
};

const errorContent = { "application/json": { schema: jsonSchema(errorResponse, "output") } };

function operation(r: ApiRoute) {
  const parameters: unknown[] = [];
  for (const [, name] of r.path.matchAll(/\{(\w+)\}/g)) parameters.push({ name, in: "path", required: true, schema: { type: "string" } });
  if (r.query) {
    const q = jsonSchema(r.query, "input") as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      parameters.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
    }
  }
  // Branch idem: every POST honours Idempotency-Key (http/idempotency.ts).
  if (r.method === "post") {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description: "Sending the same key with the same request within 24 h answers the first (2xx) response again and changes nothing; keys are per user. The replay carries `Idempotent-Replayed: true`.",
      schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7e]+$" },
    });
  }
  const responses: Record<string, unknown> = {};
  for (const [status, resp] of Object.entries(r.responses)) {
    const content = {
      ...(resp.json ? { "application/json": { schema: jsonSchema(resp.json, "output") } } : {}),
      ...(resp.other ? { [resp.other]: {} } : {}),
    };
    responses[status] = Object.keys(content).length ? { description: resp.description, content } : { description: resp.description };
  }
  // The errors every route of its kind can answer (see docs/API.md for the full table).
  const admin = r.auth === "admin" || r.auth === "metrics";
  // A session cookie on a state-changing request is honoured only from the app's own origin (CSRF).
  const cookieWrite = r.method !== "get" && (r.auth === "user" || r.auth === "admin");
  const common: Array<[number, string, boolean]> = [
    [400, "invalid input (code validation_failed or bad_request)", Boolean(r.body ?? r.query)],
    [401, "no or bad credentials (code unauthenticated)", r.auth !== "none"],
    [
      403,
      [admin && "not an admin", cookieWrite && "a session cookie sent from another site"].filter(Boolean).join(", or ") +
        " (code forbidden)" +
        (cookieWrite ? ", or a read-only API token (code insufficient_scope)" : ""),
      admin || cookieWrite,
    ],
    [404, "no such id, or not yours (code not_found)", r.path.includes("{")],
    [413, "request body over 1 MiB (code payload_too_large)", Boolean(r.body)],
    [415, "body not sent as Content-Type: application/json (code unsupported_media_type)", Boolean(r.body)],
    [409, "a request with the same Idempotency-Key is still running (code conflict): retry with the same key", r.method === "post" && r.auth !== "none"],
    [422, "the Idempotency-Key was used with a different request in the last 24 h (code idempotency_key_reused)", r.method === "post" && r.auth !== "none"],
    [429, "API token over its per-minute limit (code too_many_requests, with Retry-After)", r.auth !== "none"],
  ];
  for (const [status, description, applies] of common) {
    if (applies && !responses[status]) responses[status] = { description, content: errorContent };
  }
  return {
    operationId: `${r.method}${r.path.replace(/^\/api/, "").replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: r.summary,
    description: authNote[r.auth],
    security: security[r.auth],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: jsonSchema(r.body, "input") },
              ...Object.fromEntries(Object.entries(r.bodyOther ?? {}).map(([type, description]) => [type, { schema: { type: "string", description } }])),
            },
          },
        }
      : {}),
    ...(r.rawBody ? { requestBody: { required: true, description: r.rawBody, content: { "image/*": { schema: { type: "string", contentMediaType: "image/*" } } } } } : {}),
    responses,
  };
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, ReturnType<typeof operation>>>;
  components: { securitySchemes: Record<string, unknown> };
}

let cached: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document of the whole API, generated from the route registry (once per process). */
export function openApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const paths: OpenApiDocument["paths"] = {};
  for (const r of apiRoutes) (paths[r.path] ??= {})[r.method] = operation(r);
  cached = {
    openapi: "3.1.0",
    info: {
      title: "PostMore API",
      version: "1",
      description: "Schedule posts on your social accounts. Errors are `{\"error\":{\"code\",\"message\",\"details?\"}}`; see docs/API.md.",
    },
    paths,
    components: {
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "A personal API token: `npm run cli -- create-token --email E`." },
        // The browser handles this cookie; its exact name is the auth module's business.
        sessionCookie: { type: "apiKey", in: "cookie", name: "postmore_session", description: "The session cookie set by POST /api/auth/signin." },
      },
    },
  };
  return cached;
}
