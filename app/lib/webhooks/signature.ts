import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * `PostMore-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed by
 * the endpoint's secret (the whole `whsec_…` string, as UTF-8). The timestamp is signed with
 * the body, so a receiver that rejects old timestamps cannot be fed a replayed request.
 */

export const SIGNATURE_HEADER = "PostMore-Signature";
/** How old a signature a receiver should accept (docs/API.md: 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The AES-GCM associated data of a webhook's sealed secret: it opens only in its own row. */
export const webhookSecretContext = (webhookId: string) => `webhooks.secret:${webhookId}`;

export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64url")}`;

const hmac = (secret: string, t: number, body: string) => createHmac("sha256", secret).update(`${t}.${body}`, "utf8").digest("hex");

export function signWebhookBody(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${hmac(secret, t, body)}`;
}

/**
 * What a receiver does (docs/API.md shows the same steps): parse the header, recompute the
 * HMAC over the raw body, compare in constant time, and refuse timestamps outside the window.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string,
  opts: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.get("t"));
  const given = parts.get("v1");
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  return timingSafeEqual(Buffer.from(hmac(secret, t, rawBody), "hex"), Buffer.from(given, "hex"));
}
