import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM sealing for credentials at rest. The key comes from config (POSTMORE_SECRET,
 * or the one generated into the data dir).
 *
 * Output "v2.<iv>.<tag>.<ciphertext>" (base64url parts). v2 authenticates a `context` as
 * associated data — the row the value belongs to — so a sealed value copied into another
 * row (another user's account, say) does not open there. "v1." values (no associated data,
 * written before v2) still open, whatever the context; every write seals v2, and
 * `npm run cli -- rotate-secret` re-seals them all.
 */
export interface SecretBox {
  seal(plain: string, context: string): string;
  open(sealed: string, context: string): string;
}

export function keyFromSecret(secret: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(secret) ? Buffer.from(secret, "hex") : Buffer.from(secret, "base64");
  if (key.length !== 32) throw new Error("POSTMORE_SECRET must decode to 32 bytes");
  return key;
}

export function createSecretBox(secret: string): SecretBox {
  const key = keyFromSecret(secret);
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v2", iv, cipher.getAuthTag(), body].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
    },
    open(sealed, context) {
      const [version, iv, tag, body] = sealed.split(".");
      if ((version !== "v1" && version !== "v2") || !iv || !tag || body === undefined) throw new Error("unrecognised sealed value");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      if (version === "v2") decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}
