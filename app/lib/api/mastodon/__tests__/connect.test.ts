import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MastodonDouble } from "@/test/mastodon/mastodonDouble";
import { ReauthRequiredError } from "../../platformErrors";
import type { MastodonApp, MastodonAppStore } from "../oauth";
import { createMastodonService, type MastodonService } from "../service";

/** Connecting an account through OAuth with PKCE, against the Mastodon double over loopback. */

let double: MastodonDouble;
let service: MastodonService;
let apps: Map<string, MastodonApp>;

function memoryAppStore(map: Map<string, MastodonApp>): MastodonAppStore {
  return { get: async (url) => map.get(url), put: async (app) => void map.set(app.instanceUrl, app) };
}

beforeEach(async () => {
  double = await new MastodonDouble({ username: "carol", maxCharacters: 1000 }).start();
  apps = new Map();
  service = createMastodonService(
    {
      http: { timeoutMs: 10_000 },
      media: { intervalMs: 10, timeoutMs: 10_000 },
      registration: { clientName: "PostMore", redirectUri: "http://127.0.0.1:9/api/accounts/mastodon/callback", website: "https://postmore.example" },
    },
    memoryAppStore(apps),
  );
});

afterEach(async () => {
  await double.close();
});

/** What the browser does: follow the consent URL; the instance redirects to our callback. */
async function consent(authorizeUrl: string): Promise<URL> {
  const res = await fetch(authorizeUrl, { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

describe("connecting a Mastodon account", () => {
  it("registers the app once per instance, authorizes with PKCE and knows whose account it is", async () => {
    const first = await service.startConnect(double.url, "state-1");
    const callback = await consent(first.authorizeUrl);
    expect(callback.pathname).toBe("/api/accounts/mastodon/callback");
    expect(callback.searchParams.get("state")).toBe("state-1");

    const connected = await service.finishConnect(first.instanceUrl, callback.searchParams.get("code")!, first.codeVerifier);
    expect(connected.handle).toBe(`@carol@${double.host}`);
    expect(connected.remoteAccountId).toBe(double.user.id);
    expect(double.tokens.get(connected.accessToken)?.scopes).toEqual(["read:accounts", "read:statuses", "write:media", "write:statuses"]);

    await service.startConnect(`${double.url}/`, "state-2");
    expect(double.requests.filter((r) => r.route === "POST /api/v1/apps")).toHaveLength(1);
  });

  it("refuses a code exchanged with another verifier (PKCE)", async () => {
    const start = await service.startConnect(double.url, "s");
    const callback = await consent(start.authorizeUrl);
    const other = await service.startConnect(double.url, "s2");
    await expect(service.finishConnect(start.instanceUrl, callback.searchParams.get("code")!, other.codeVerifier)).rejects.toThrow(/invalid_grant/);
  });

  it("reads the instance's own limits from /api/v2/instance", async () => {
    const limits = await service.instanceLimits(double.url);
    expect(limits).toMatchObject({ maxCharacters: 1000, charactersReservedPerUrl: 23, maxMediaAttachments: 4, descriptionLimit: 1500 });
    expect(limits.supportedMimeTypes).toContain("image/png");
  });

  it("a revoked token means the account must be reconnected", async () => {
    const start = await service.startConnect(double.url, "s");
    const code = (await consent(start.authorizeUrl)).searchParams.get("code")!;
    const { accessToken } = await service.finishConnect(start.instanceUrl, code, start.codeVerifier);
    await service.disconnect({ instanceUrl: start.instanceUrl, accessToken, remoteAccountId: double.user.id });
    await expect(service.verifyCredentials(start.instanceUrl, accessToken)).rejects.toBeInstanceOf(ReauthRequiredError);
  });
});
