import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as jwksRoute from "@/app/oauth/jwks.json/route";
import * as metadataRoute from "@/app/oauth-client-metadata.json/route";
import { loadConfig } from "@/app/lib/config";
import { setAppContext } from "@/app/lib/context";
import { createTestContext, type TestContext } from "@/test/helpers/testContext";
import { loadSigningKey } from "../keys";
import { BLUESKY_OAUTH_SCOPE } from "../metadata";

/**
 * The confidential client's public routes (branch oauth): anyone may read the client metadata
 * and the public key (the Bluesky server does, with no credentials), nobody gets the private
 * half; without an https PUBLIC_URL there is nothing to publish.
 */

const none = { params: Promise.resolve({}) as Promise<Record<string, never>> };
const get = async (handler: typeof metadataRoute.GET, headers: HeadersInit = {}) => {
  const res = await handler(new Request("https://postmore.example/x", { headers }), none);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("Bluesky OAuth client metadata and keys", () => {
  let confidential: TestContext;
  let loopback: TestContext;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-oauth-keys-"));
    loopback = await createTestContext("postgres");
    confidential = await createTestContext("postgres", { PUBLIC_URL: "https://postmore.example", POSTMORE_DATA_DIR: dataDir });
  });
  afterAll(async () => {
    await loopback?.close();
    await confidential?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("publishes the client metadata and the public key to anyone, signed in or not", async () => {
    setAppContext(confidential.ctx);
    const asked: HeadersInit[] = [{}, { authorization: "Bearer not-a-token" }];
    for (const headers of asked) {
      const metadata = await get(metadataRoute.GET, headers);
      expect(metadata.status).toBe(200);
      expect(metadata.body).toMatchObject({
        client_id: "https://postmore.example/oauth-client-metadata.json",
        redirect_uris: ["https://postmore.example/api/accounts/bluesky/callback"],
        jwks_uri: "https://postmore.example/oauth/jwks.json",
        token_endpoint_auth_method: "private_key_jwt",
        dpop_bound_access_tokens: true,
        scope: BLUESKY_OAUTH_SCOPE,
      });
      const jwks = await get(jwksRoute.GET, headers);
      expect(jwks.status).toBe(200);
      const keys = jwks.body.keys as Array<Record<string, unknown>>;
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ kty: "EC", crv: "P-256", kid: "postmore-1" });
      expect(keys[0]).not.toHaveProperty("d");
    }
    // The key was created in the data dir, readable by its owner only.
    expect(fs.statSync(path.join(dataDir, "bluesky-oauth-key.json")).mode & 0o077).toBe(0);
  });

  it("answers 404 in JSON without an https PUBLIC_URL (the loopback client publishes nothing)", async () => {
    setAppContext(loopback.ctx);
    for (const handler of [metadataRoute.GET, jwksRoute.GET]) {
      const res = await get(handler);
      expect(res.status).toBe(404);
      expect((res.body.error as { code: string }).code).toBe("not_found");
    }
  });

  it("signs with one key per data dir, or with the key given in BLUESKY_OAUTH_PRIVATE_KEY", async () => {
    const config = loadConfig({ NODE_ENV: "test", PUBLIC_URL: "https://postmore.example", POSTMORE_DATA_DIR: dataDir });
    const [a, b] = await Promise.all([loadSigningKey(config), loadSigningKey(config)]);
    expect(a.publicJwk).toEqual(b.publicJwk);
    const given = JSON.stringify(a.privateJwk);
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), "postmore-oauth-keys-"));
    try {
      const fromEnv = await loadSigningKey(loadConfig({ NODE_ENV: "test", POSTMORE_DATA_DIR: otherDir, BLUESKY_OAUTH_PRIVATE_KEY: given }));
      expect(fromEnv.publicJwk).toEqual(a.publicJwk);
      expect(fs.readdirSync(otherDir)).toEqual([]);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
