import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox } from "@/app/lib/crypto/secretBox";
import { sealV1 } from "./legacySeal";

describe("secretBox", () => {
  const secret = randomBytes(32).toString("hex");
  const box = createSecretBox(secret);

  it("binds a sealed value to its row: it opens there and nowhere else", () => {
    const sealed = box.seal("app-password", "social_accounts.credentials:A");
    expect(sealed.startsWith("v2.")).toBe(true);
    expect(sealed).not.toContain("app-password");
    expect(box.open(sealed, "social_accounts.credentials:A")).toBe("app-password");
    expect(() => box.open(sealed, "social_accounts.credentials:B")).toThrow();
  });

  it("still opens values of the old v1 format", () => {
    expect(box.open(sealV1(secret, "legacy"), "social_accounts.credentials:any")).toBe("legacy");
  });

  it("refuses a value sealed under another key, or tampered with", () => {
    const sealed = box.seal("x", "c");
    expect(() => createSecretBox(randomBytes(32).toString("hex")).open(sealed, "c")).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("y").toString("base64url");
    expect(() => box.open(parts.join("."), "c")).toThrow();
  });
});

