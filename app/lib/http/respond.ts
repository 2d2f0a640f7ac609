import { ZodError, type z } from "zod";
import { AppError, errorStatus } from "../errors";
import { logger } from "../logger";

const log = logger("http");

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers });
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** The one place errors become HTTP responses. Unknown errors are logged and answered 500 without details. */
export function errorResponse(err: unknown): Response {
  if (err instanceof AppError) return json(errorBody(err.code, err.message, err.details), err.status);
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const message = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ");
    return json(errorBody("validation_failed", message, details), errorStatus.validation_failed);
  }
  log.error({ err }, "unhandled error in route");
  return json(errorBody("internal", "internal error"), 500);
}

type Handler<P> = (req: Request, params: P) => Promise<Response>;

/** Wraps a route handler: awaits Next's params, turns every thrown error into a JSON error. */
export function route<P = Record<string, never>>(handler: Handler<P>) {
  return async (req: Request, ctx: { params: Promise<P> }): Promise<Response> => {
    try {
      return await handler(req, (await ctx?.params) ?? ({} as P));
    } catch (err) {
      return errorResponse(err);
    }
  };
}

const MAX_BODY_BYTES = 1_000_000;

/** Reads and validates a JSON body. Oversized, non-JSON or invalid bodies become 4xx AppErrors. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new AppError("payload_too_large", `request body over ${MAX_BODY_BYTES} bytes`);
  let text: string;
  try {
    text = await req.text();
  } catch {
    throw new AppError("bad_request", "could not read the request body");
  }
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new AppError("payload_too_large", `request body over ${MAX_BODY_BYTES} bytes`);
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "the request body is not valid JSON");
  }
  return schema.parse(value);
}
