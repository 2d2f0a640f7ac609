import { createCipheriv, randomBytes } from "node:crypto";

/** A value as the v1 box (before associated data) wrote it: AES-256-GCM, no AAD. */
export function sealV1(secretHex: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(secretHex, "hex"), iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}
