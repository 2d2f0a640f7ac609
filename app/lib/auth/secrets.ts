import { createHash, randomBytes } from "node:crypto";

/** A fresh bearer secret (session cookie or API token) and the hash we store for it. */
export function newOpaqueToken(prefix: string): { token: string; hash: string } {
  const token = `${prefix}${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashOpaqueToken(token) };
}

export const hashOpaqueToken = (token: string): string => createHash("sha256").update(token).digest("hex");
