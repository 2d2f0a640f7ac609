import { AppError } from "../errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export const isUnsafeMethod = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

/** The app's own origin: PUBLIC_URL when set, else what the browser addressed (the Host header). */
function sameOrigin(origin: string, req: Request, publicUrl: string | undefined): boolean {
  if (publicUrl) return origin === publicUrl;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false; // "null" (sandboxed frames, data: URLs) and junk
  }
  return host === req.headers.get("host");
}

/**
 * Refuses a state-changing request sent by another site (CSRF, login CSRF). Browsers send
 * `Origin` on every cross-origin and same-origin POST/PATCH/DELETE; older ones at least
 * `Sec-Fetch-Site`. A request with neither does not come from a browser page, so a cookie
 * it carries was not attached behind a user's back. Bearer-token requests never get here:
 * a page cannot make a browser attach one.
 */
export function requireSameOrigin(req: Request, publicUrl: string | undefined): void {
  if (!isUnsafeMethod(req.method)) return;
  const origin = req.headers.get("origin");
  if (origin !== null) {
    if (!sameOrigin(origin, req, publicUrl)) throw crossSite();
    return;
  }
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") throw crossSite();
}

const crossSite = () => new AppError("forbidden", "cross-site request refused: send it from PostMore's own pages or with an API token");

/**
 * The client's address for throttling: the last X-Forwarded-For entry, which is the one the
 * nearest proxy vouches for (Next.js sets it to the socket peer when no proxy sent one).
 * Exposed directly, a client can choose this value; per-email limits still hold then.
 */
export function clientAddress(req: Request): string {
  const forwarded = req.headers.get("x-forwarded-for") ?? "";
  const last = forwarded.split(",").pop()?.trim() ?? "";
  return last.slice(0, 64) || "unknown";
}
