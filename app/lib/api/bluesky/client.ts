import { AtpBaseClient } from "@atproto/api";

/**
 * A bare XRPC client for one PDS with a fixed bearer token (or none) and a timeout on
 * every request. No session manager: refreshing is ours to decide (under the
 * account lock), never something a library does behind our back.
 */
export function pdsClient(service: string, opts: { token?: string; timeoutMs: number }): AtpBaseClient {
  const timedFetch: typeof fetch = (input, init) => {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
  return new AtpBaseClient({
    service,
    headers: { authorization: opts.token ? `Bearer ${opts.token}` : null },
    fetch: timedFetch,
  });
}

/** The `exp` of a JWT as a Date (no signature check: the PDS checks; we only plan refreshes). */
export function jwtExpiry(jwt: string, fallbackMs = 2 * 60 * 60 * 1000): Date {
  try {
    const payload = jwt.split(".")[1];
    if (payload) {
      const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
      if (typeof exp === "number" && Number.isFinite(exp)) return new Date(exp * 1000);
    }
  } catch {
    // fall through: an unreadable token is treated as a short-lived one
  }
  return new Date(Date.now() + fallbackMs);
}
