/** The browser's one way to the HTTP API: same-origin fetch with the session cookie, JSON errors made readable. */

export interface ApiProblem {
  status: number;
  code: string;
  message: string;
  details?: Array<{ path?: string; message: string }>;
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; error: ApiProblem };

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<ApiResult<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? "GET",
      headers: init.body === undefined ? undefined : { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
      cache: "no-store",
    });
  } catch {
    return { ok: false, status: 0, error: { status: 0, code: "network", message: "PostMore did not answer. Check your connection and try again." } };
  }
  if (res.status === 401 && typeof window !== "undefined" && !path.startsWith("/api/auth/")) {
    window.location.assign("/signin");
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.ok) return { ok: true, status: res.status, data: body as T };
  const err = (body as { error?: Partial<ApiProblem> } | undefined)?.error;
  return {
    ok: false,
    status: res.status,
    error: {
      status: res.status,
      code: err?.code ?? "http_error",
      message: err?.message ?? `The server answered ${res.status}.`,
      details: Array.isArray(err?.details) ? (err.details as ApiProblem["details"]) : undefined,
    },
  };
}

export interface UploadedMedia {
  id: string;
  mimeType: string;
  width: number;
  height: number;
  size: number;
  url: string;
  thumbnailUrl: string;
}

/** POST /api/media with the file itself as the body (the server checks its bytes and size). */
export async function uploadMedia(file: File): Promise<ApiResult<{ media: UploadedMedia }>> {
  let res: Response;
  try {
    res = await fetch("/api/media", { method: "POST", body: file, cache: "no-store" });
  } catch {
    return { ok: false, status: 0, error: { status: 0, code: "network", message: "The upload did not reach PostMore. Check your connection and try again." } };
  }
  const body = (await res.json().catch(() => undefined)) as { media?: UploadedMedia; error?: Partial<ApiProblem> } | undefined;
  if (res.ok && body?.media) return { ok: true, status: res.status, data: { media: body.media } };
  return {
    ok: false,
    status: res.status,
    error: { status: res.status, code: body?.error?.code ?? "http_error", message: body?.error?.message ?? `The server answered ${res.status}.` },
  };
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
