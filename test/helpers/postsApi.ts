import * as collection from "@/app/api/posts/route";
import * as item from "@/app/api/posts/[id]/route";

/** Calls the posts route handlers in-process, as Next.js would, with a Bearer token. */
export function postsApi(token: string) {
  const req = (method: string, path: string, body?: unknown) =>
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  const none = { params: Promise.resolve({}) as Promise<Record<string, never>> };
  const withId = (id: string) => ({ params: Promise.resolve({ id }) });
  const send = async (res: Promise<Response>) => {
    const r = await res;
    const text = await r.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
  return {
    create: (body: unknown) => send(collection.POST(req("POST", "/api/posts", body), none)),
    list: (query = "") => send(collection.GET(req("GET", `/api/posts${query}`), none)),
    get: (id: string) => send(item.GET(req("GET", `/api/posts/${id}`), withId(id))),
    patch: (id: string, body: unknown) => send(item.PATCH(req("PATCH", `/api/posts/${id}`, body), withId(id))),
    cancel: (id: string) => send(item.DELETE(req("DELETE", `/api/posts/${id}`), withId(id))),
  };
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
