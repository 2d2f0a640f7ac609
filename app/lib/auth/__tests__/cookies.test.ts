import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../config";
import { readSessionCookie, sessionCookie, sessionCookieName } from "../cookies";

const token = `pms_${"a".repeat(43)}`;
const req = new Request("http://127.0.0.1:3000/api/auth/signin", { method: "POST" });

describe("session cookie and PUBLIC_URL", () => {
  it("is plain and not Secure over http, __Host- and Secure when PUBLIC_URL is https", () => {
    const plain = loadConfig({});
    expect(sessionCookie(plain, req, token, new Date(0))).toMatch(/^postmore_session=pms_a+; Path=\/; HttpOnly; SameSite=Lax; Expires=[^;]+$/);
    const https = loadConfig({ PUBLIC_URL: "https://postmore.example/some/path" });
    expect(https.security.publicUrl).toBe("https://postmore.example");
    expect(sessionCookieName(https)).toBe("__Host-postmore_session");
    expect(sessionCookie(https, req, token, new Date(0))).toMatch(/^__Host-postmore_session=pms_a+; Path=\/; HttpOnly; SameSite=Lax; Expires=.*; Secure$/);
  });

  it("refuses a PUBLIC_URL that is not an http(s) URL", () => {
    expect(() => loadConfig({ PUBLIC_URL: "postmore.example" })).toThrow(ConfigError);
    expect(() => loadConfig({ PUBLIC_URL: "ftp://postmore.example" })).toThrow(ConfigError);
  });

  it("reads only a well-formed token under the configured name", () => {
    const config = loadConfig({});
    expect(readSessionCookie(config, `a=1; postmore_session=${token}; b=2`)).toBe(token);
    expect(readSessionCookie(config, `postmore_session="${token}"`)).toBe(token);
    for (const bad of ["postmore_session=%E0%A4%A", "postmore_session=pms_x", `__Host-postmore_session=${token}`, "", "postmore_session"]) {
      expect(readSessionCookie(config, bad), bad).toBeUndefined();
    }
  });
});
