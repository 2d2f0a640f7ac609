import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM sealing for credentials at rest. Output: "v1.<iv>.<tag>.<ciphertext>" in base64url.
 * The key comes from config (POSTMORE_SECRET, or the one generated into the data dir).
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
}

export function keyFromSecret(secret: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(secret) ? Buffer.from(secret, "hex") : Buffer.from(secret, "base64");
  if (key.length !== 32) throw new Error("POSTMORE_SECRET must decode to 32 bytes");
  return key;
}

export function createSecretBox(secret: string): SecretBox {
  const key = keyFromSecret(secret);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return ["v1", iv, cipher.getAuthTag(), body].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("unrecognised sealed value");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}
