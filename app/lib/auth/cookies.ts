import type { Config } from "../config";

const PLAIN_NAME = "postmore_session";
// `__Host-` binds the cookie to this exact origin (Secure, Path=/, no Domain): a sibling
// subdomain cannot plant or overwrite it. Browsers accept it only over https.
const HOST_NAME = "__Host-postmore_session";

const httpsOnly = (config: Config) => config.security.publicUrl?.startsWith("https:") ?? false;

/** The session cookie's name: `__Host-` prefixed when PUBLIC_URL is https. */
export const sessionCookieName = (config: Config): string => (httpsOnly(config) ? HOST_NAME : PLAIN_NAME);

/** Session cookie: HttpOnly, SameSite=Lax; Secure when PUBLIC_URL is https or the request came over https. */
export function sessionCookie(config: Config, req: Request, token: string, expiresAt: Date): string {
  const secure = httpsOnly(config) || new URL(req.url).protocol === "https:" || req.headers.get("x-forwarded-proto") === "https";
  return [
    `${sessionCookieName(config)}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export const clearedSessionCookie = (config: Config): string =>
  `${sessionCookieName(config)}=; Path=/; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT${httpsOnly(config) ? "; Secure" : ""}`;

const TOKEN_SHAPE = /^pms_[A-Za-z0-9_-]{43}$/;

/**
 * The session token from a Cookie header, or undefined when absent or malformed. A value
 * that is not the shape we issue is treated as no cookie at all (401, never a 500).
 */
export function readSessionCookie(config: Config, cookieHeader: string | null): string | undefined {
  if (!cookieHeader) return undefined;
  const name = sessionCookieName(config);
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    if (TOKEN_SHAPE.test(value)) return value;
  }
  return undefined;
}
