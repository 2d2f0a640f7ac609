import { randomUUID } from "node:crypto";
import { ZodError, type z } from "zod";
import { getAppContext } from "../context";
import { AppError, errorStatus, type RetryLaterError } from "../errors";
import { logger } from "../logger";
import { readBodyCapped, requireJsonContentType } from "./body";
import { IDEMPOTENCY_HEADER, withIdempotencyKey } from "./idempotency";

const log = logger("http");

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers });
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The one place errors become HTTP responses. Unknown errors are logged and answered 500 without details. */
export function errorResponse(err: unknown, requestId?: string): Response {
  const known = asAppError(err);
  if (known && "retryAfterSeconds" in known && typeof known.retryAfterSeconds === "number") {
    const headers = { "retry-after": String(Math.max(1, Math.ceil(known.retryAfterSeconds))) };
    return json(errorBody(known.code, known.message), errorStatus[known.code], headers);
  }
  if (known) return json(errorBody(known.code, known.message, known.details), errorStatus[known.code]);
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const message = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ");
    return json(errorBody("validation_failed", message, details), errorStatus.validation_failed);
  }
  log.error({ err, requestId }, "unhandled error in route");
  return json(errorBody("internal", "internal error"), 500);
}

/**
 * An AppError, also one made by another bundle's copy of errors.ts: in the built app the
 * AppContext (and so the guards in it) comes from instrumentation.ts's bundle, where
 * `instanceof` against the route's AppError class is false.
 */
function asAppError(err: unknown): AppError | RetryLaterError | undefined {
  if (err instanceof AppError) return err;
  if (!(err instanceof Error) || (err.name !== "AppError" && err.name !== "RetryLaterError")) return undefined;
  const code = (err as Partial<AppError>).code;
  return typeof code === "string" && code in errorStatus ? (err as AppError) : undefined;
}

type Handler<P> = (req: Request, params: P) => Promise<Response>;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Wraps a route handler: awaits Next's params, honours an `Idempotency-Key` on POST
 * (http/idempotency.ts), turns every thrown error into a JSON error, and tags the exchange
 * with a request id (the caller's `x-request-id` when it is sane).
 */
export function route<P = Record<string, never>>(handler: Handler<P>) {
  return async (req: Request, ctx: { params: Promise<P> }): Promise<Response> => {
    const given = req.headers.get("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    let res: Response;
    try {
      const params = (await ctx?.params) ?? ({} as P);
      res =
        req.method === "POST" && req.headers.has(IDEMPOTENCY_HEADER)
          ? await withIdempotencyKey(getAppContext(), req, (copy) => handler(copy, params))
          : await handler(req, params);
    } catch (err) {
      res = errorResponse(err, requestId);
    }
    try {
      res.headers.set("x-request-id", requestId);
    } catch {
      // immutable headers (a redirect): the id stays in the logs only
    }
    return res;
  };
}

/**
 * Reads and validates a JSON body: 415 unless it is declared `application/json`, 413 past
 * 1 MiB (counted while streaming), 400 for invalid JSON. An empty body reads as `{}`.
 */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const declaredType = req.headers.has("content-type");
  if (declaredType) requireJsonContentType(req);
  const text = await readBodyCapped(req);
  if (!declaredType && text.trim() !== "") requireJsonContentType(req);
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "the request body is not valid JSON");
  }
  rejectUnsafeJson(value);
  return schema.parse(value);
}

const MAX_DEPTH = 32;
// NUL cannot be stored in PostgreSQL text; a lone surrogate is not text at all.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const UNSAFE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Refuses JSON nested absurdly deep or holding strings PostgreSQL cannot store (walked without recursion). */
export function rejectUnsafeJson(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === "string") {
      if (UNSAFE_TEXT.test(v)) throw new AppError("bad_request", "text must not contain NUL characters or unpaired surrogates");
    } else if (v !== null && typeof v === "object") {
      if (depth >= MAX_DEPTH) throw new AppError("bad_request", `JSON nested deeper than ${MAX_DEPTH} levels`);
      for (const [k, child] of Object.entries(v)) {
        if (UNSAFE_TEXT.test(k)) throw new AppError("bad_request", "keys must not contain NUL characters or unpaired surrogates");
        stack.push([child, depth + 1]);
      }
    }
  }
}
