/**
 * The browser's one way to the HTTP API: a typed openapi-fetch client over the generated schema
 * (api-schema.d.ts, `npm run api:types`), same-origin with the session cookie, JSON errors made readable.
 */
import createClient from "openapi-fetch";
import type { paths } from "./api-schema";

export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  details?: Array<{ path?: string; message: string }>;
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiProblem };

/** The JSON a successful (2xx) `method` on `path` answers, as the OpenAPI document describes it. */
type Success<R> = R extends { responses: infer S }
  ? { [C in keyof S]: C extends 200 | 201 | 202 ? (S[C] extends { content: { "application/json": infer J } } ? J : never) : never }[keyof S]
  : never;
export type ApiJson<P extends keyof paths, M extends keyof paths[P]> = Success<paths[P][M]>;
/** The JSON request body of `method` on `path`. */
export type ApiBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
/** The query parameters of `method` on `path`. */
export type ApiQuery<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
/** Paths the browser can GET. */
export type GetPath = { [P in keyof paths]: paths[P]["get"] extends undefined ? never : P }[keyof paths];

// cache: "no-store" — the UI always wants the current state, never a cached answer.
export const client = createClient<paths>({ baseUrl: "", cache: "no-store" });

const NETWORK: ApiProblem = { status: 0, code: "network", message: "PostMore did not answer. Check your connection and try again." };

/**
 * Awaits a client call and folds it into an ApiResult: `{error:{code,message,details}}` bodies
 * become the ApiProblem the UI shows; a 401 outside /api/auth sends the browser to sign in.
 */
export async function call<D>(request: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<ApiResult<NonNullable<D>>> {
  let res: { data?: D; error?: unknown; response: Response };
  try {
    res = await request;
  } catch {
    // fetch failed, or a 2xx body was not JSON
    return { ok: false, status: 0, error: NETWORK };
  }
  const { response } = res;
  if (response.status === 401 && typeof window !== "undefined" && !new URL(response.url || "/", window.location.href).pathname.startsWith("/api/auth/")) {
    window.location.assign("/signin");
  }
  if (response.ok) return { ok: true, status: response.status, data: res.data as NonNullable<D> };
  const err = (res.error as { error?: Partial<ApiProblem> } | undefined)?.error;
  return {
    ok: false,
    status: response.status,
    error: {
      status: response.status,
      code: err?.code ?? "http_error",
      message: err?.message ?? `The server answered ${response.status}.`,
      details: Array.isArray(err?.details) ? (err.details as ApiProblem["details"]) : undefined,
    },
  };
}

export type UploadedMedia = ApiJson<"/api/media", "post">["media"];

/** POST /api/media with the file itself as the body (the server checks its bytes and size). */
export async function uploadMedia(file: File): Promise<ApiResult<{ media: UploadedMedia }>> {
  const res = await call(
    client.POST("/api/media", {
      // The raw file, not JSON: the serializer hands it to fetch as is.
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as File,
      headers: { "Content-Type": file.type || "application/octet-stream" },
    }),
  );
  if (!res.ok && res.status === 0) return { ok: false, status: 0, error: { ...NETWORK, message: "The upload did not reach PostMore. Check your connection and try again." } };
  return res;
}

/** The messages of a validation error, one per problem (falls back to the summary message). */
const FIELD_NAMES: Record<string, string> = { accountIds: "Accounts", scheduledAt: "Time", timeZone: "Time zone", images: "Images", thread: "Thread" };

export function problemList(error: ApiProblem): string[] {
  const list = (error.details ?? [])
    .filter((d) => d.message)
    .map((d) => {
      const field = d.path?.split(".")[0] ?? "";
      const name = FIELD_NAMES[field];
      return name ? `${name}: ${d.message}` : d.message;
    });
  return list.length > 0 ? list : [error.message];
}
