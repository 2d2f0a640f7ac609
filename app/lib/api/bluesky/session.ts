import { XRPCError } from "@atproto/api";
import { AppError } from "../../errors";
import { findOutboundError } from "../../net/errors";
import type { PlatformSession } from "../platform";
import { AccountGoneError } from "../platformErrors";
import { jwtExpiry } from "./client";

interface SessionOutput {
  did: string;
  handle: string;
  accessJwt: string;
  refreshJwt: string;
  active?: boolean;
  status?: string;
}

export function toPlatformSession(data: SessionOutput, service: string): PlatformSession {
  if (data.active === false) {
    throw new AccountGoneError(`the Bluesky account ${data.handle} is ${data.status ?? "not active"}`);
  }
  return {
    did: data.did,
    handle: data.handle,
    service,
    accessJwt: data.accessJwt,
    refreshJwt: data.refreshJwt,
    accessExpiresAt: jwtExpiry(data.accessJwt),
  };
}

/** "bsky.social", "https://pds.example/" → "https://bsky.social", "https://pds.example". */
export function normaliseServiceUrl(service: string): string {
  const raw = service.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new AppError("bad_request", `service ${JSON.stringify(service)} is not a URL (for example https://bsky.social)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AppError("bad_request", "service must be an http:// or https:// URL");
  }
  return url.origin;
}

/** What a failed createSession means for the person connecting an account. */
export function connectError(err: unknown, service: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof AccountGoneError) return new AppError("unprocessable", err.message);
  // The guard's own words (refused address, too large, too slow): never the far side's body.
  const guard = findOutboundError(err);
  if (guard) {
    const code = guard.reason === "refused" || guard.reason === "bad_url" ? "unprocessable" : "upstream_unreachable";
    return new AppError(code, `could not use the Bluesky server at ${service}: ${guard.message}`);
  }
  if (!(err instanceof XRPCError)) {
    return new AppError("upstream_unreachable", `could not reach the Bluesky server at ${service}: ${(err as Error)?.message ?? err}`);
  }
  if (err.error === "AuthFactorTokenRequired") {
    return new AppError("invalid_credentials", "this account asks for an email sign-in code: use an app password instead (Settings → Privacy and security → App passwords)");
  }
  if (err.error === "AccountTakedown" || err.error === "AccountDeactivated") {
    return new AppError("unprocessable", `Bluesky says the account cannot be used: ${err.message || err.error}`);
  }
  if (err.status === 401 || err.error === "AuthenticationRequired") {
    return new AppError("invalid_credentials", "Bluesky did not accept this handle and app password: check both, or create a new app password");
  }
  if (err.status === 429) return new AppError("upstream_unreachable", "Bluesky is rate limiting logins right now; try again in a few minutes");
  if (err.status < 100 || err.status >= 500) {
    return new AppError("upstream_unreachable", `the Bluesky server at ${service} did not answer properly (${err.error || err.status})`);
  }
  // The PDS's own short message helps ("Invalid identifier or password"); kept short, never a page of body.
  return new AppError("unprocessable", `Bluesky refused the login: ${(err.message || err.error).slice(0, 200)}`);
}
