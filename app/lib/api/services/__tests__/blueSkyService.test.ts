import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/app/lib/errors";
import { setLogLevel } from "@/app/lib/logger";
import type { PlatformAccount, PostContent } from "@/app/lib/api/platform";
import {
  AuthPlatformError,
  PermanentPlatformError,
  ReauthRequiredError,
  TransientPlatformError,
} from "@/app/lib/api/platformErrors";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import { createOutbound } from "@/app/lib/net/outbound";
import { createBlueSkyService, type BlueSkyService } from "@/app/lib/api/services/blueSkyService";
import { freePort } from "@/test/helpers/freePort";
import { LOOPBACK_ALLOWLIST } from "@/test/helpers/testContext";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { tinyPng } from "@/test/helpers/png";

describe("blueSkyService against a real PDS", () => {
  let pds: TestPds;
  let bsky: BlueSkyService;
  let alice: TestAccount;
  let bob: TestAccount;
  let account: PlatformAccount;

  const connectAs = async (who: TestAccount): Promise<PlatformAccount> => {
    const s = await bsky.connect({ identifier: who.handle, appPassword: who.appPassword, service: pds.url });
    return {
      id: `acct-${who.handle}`,
      remoteId: s.did,
      handle: s.handle,
      instanceUrl: s.service,
      credentials: { appPassword: who.appPassword, accessJwt: s.accessJwt, refreshJwt: s.refreshJwt },
    };
  };
  const post = (text: string): PostContent => ({ segments: [{ text }], langs: ["en"] });

  beforeAll(async () => {
    setLogLevel("warn");
    pds = await startTestPds();
    bsky = createBlueSkyService({ plcUrl: pds.plcUrl, handleResolverUrl: pds.url, timeoutMs: 10_000, outbound: createOutbound({ allowlist: LOOPBACK_ALLOWLIST }) });
    [alice, bob] = await Promise.all([pds.createAccount("alice"), pds.createAccount("bob")]);
    account = await connectAs(alice);
  });
  afterAll(async () => {
    await pds?.close();
  });

  describe("connect", () => {
    it("logs in with an app password and reads the token lifetime from the JWT", async () => {
      const s = await bsky.connect({ identifier: `@${alice.handle}`, appPassword: alice.appPassword, service: `${pds.url}/` });
      expect(s).toMatchObject({ did: alice.did, handle: alice.handle, service: pds.url });
      const hours = (s.accessExpiresAt.getTime() - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(1.5);
      expect(hours).toBeLessThanOrEqual(2.01);
    });

    it("finds the PDS from the handle through the PLC directory when no service is given", async () => {
      const s = await bsky.connect({ identifier: bob.handle, appPassword: bob.appPassword });
      expect(s.did).toBe(bob.did);
      expect(s.service).toBe(pds.publicUrl);
      const byDid = await bsky.connect({ identifier: bob.did, appPassword: bob.appPassword });
      expect(byDid.handle).toBe(bob.handle);
    });

    it("answers invalid_credentials for a wrong password and upstream_unreachable for a dead PDS", async () => {
      const wrong = await bsky.connect({ identifier: alice.handle, appPassword: "aaaa-bbbb-cccc-dddd", service: pds.url }).catch((e) => e);
      expect(wrong).toBeInstanceOf(AppError);
      expect((wrong as AppError).code).toBe("invalid_credentials");
      expect((wrong as AppError).message).toMatch(/app password/);

      const dead = await bsky
        .connect({ identifier: alice.handle, appPassword: alice.appPassword, service: `http://127.0.0.1:${await freePort()}` })
        .catch((e) => e);
      expect((dead as AppError).code).toBe("upstream_unreachable");

      const unknown = await bsky.connect({ identifier: "nobody-here.test", appPassword: "x" }).catch((e) => e);
      expect((unknown as AppError).code).toBe("unprocessable");
    });
  });

  describe("publish", () => {
    it("writes a record exactly once, however often it is retried", async () => {
      const rkeys = newRecordKeys(1);
      const request = { rkeys, createdAt: new Date("2026-01-02T03:04:05.678Z"), content: post("exactly once, please") };
      const first = await bsky.publish(account, request);
      const second = await bsky.publish(account, request);
      expect(first.alreadyPublished).toBe(false);
      expect(second.alreadyPublished).toBe(true);
      expect(second.root).toEqual(first.root);
      expect(first.root.uri).toBe(`at://${alice.did}/app.bsky.feed.post/${rkeys[0]}`);

      const changed = await bsky.publish(account, { ...request, content: post("something else") }).catch((e) => e);
      expect(changed).toBeInstanceOf(PermanentPlatformError);
      expect((changed as Error).message).toMatch(/already holds a different post/);

      const onPds = (await pds.listPosts(alice.did)).filter((r) => r.uri === first.root.uri);
      expect(onPds).toHaveLength(1);
      expect(onPds[0]?.value).toMatchObject({ text: "exactly once, please", createdAt: "2026-01-02T03:04:05.678Z", langs: ["en"] });
    });

    it("puts facets at the right UTF-8 byte offsets in tricky text", async () => {
      const text =
        "👩‍👩‍👧 家族 e\u0301te\u0301 https://example.com/a?b=1 #日本語 and #tag, hi @" +
        `${bob.handle} and @ghost-nobody.test 🎉 example.org`;
      const res = await bsky.publish(account, { rkeys: newRecordKeys(1), createdAt: new Date(), content: post(text) });
      const record = await pds.getRecord(alice.did, res.root.uri.split("/").pop() as string);
      const facets = record?.value.facets as { index: { byteStart: number; byteEnd: number }; features: Record<string, string>[] }[];
      const bytes = Buffer.from(text, "utf8");
      const covered = facets.map((f) => ({
        text: bytes.subarray(f.index.byteStart, f.index.byteEnd).toString("utf8"),
        feature: f.features[0],
      }));
      expect(covered).toEqual([
        { text: "https://example.com/a?b=1", feature: { $type: "app.bsky.richtext.facet#link", uri: "https://example.com/a?b=1" } },
        { text: "#日本語", feature: { $type: "app.bsky.richtext.facet#tag", tag: "日本語" } },
        { text: "#tag", feature: { $type: "app.bsky.richtext.facet#tag", tag: "tag" } },
        { text: `@${bob.handle}`, feature: { $type: "app.bsky.richtext.facet#mention", did: bob.did } },
        { text: "example.org", feature: { $type: "app.bsky.richtext.facet#link", uri: "https://example.org" } },
      ]);
    });

    it("uploads images and embeds them with their alt text", async () => {
      const png = tinyPng(3, 2);
      const res = await bsky.publish(account, {
        rkeys: newRecordKeys(1),
        createdAt: new Date(),
        content: { segments: [{ text: "a picture", images: [{ data: png.toString("base64"), mimeType: "image/png", alt: "a pink square" }] }] },
      });
      const record = await pds.getRecord(alice.did, res.root.uri.split("/").pop() as string);
      const embed = record?.value.embed as { $type: string; images: { alt: string; image: { mimeType: string; size: number }; aspectRatio: unknown }[] };
      expect(embed.$type).toBe("app.bsky.embed.images");
      expect(embed.images).toHaveLength(1);
      expect(embed.images[0]).toMatchObject({ alt: "a pink square", image: { mimeType: "image/png", size: png.length }, aspectRatio: { width: 3, height: 2 } });
    });

    it("publishes a thread as replies, and a retry after a partial publish finishes it without duplicates", async () => {
      const rkeys = newRecordKeys(3);
      const createdAt = new Date();
      const content: PostContent = { segments: [{ text: "thread 1/3" }, { text: "thread 2/3" }, { text: "thread 3/3" }] };
      // An earlier attempt got only the first post out.
      const partial = await bsky.publish(account, { rkeys: rkeys.slice(0, 1), createdAt, content: { segments: content.segments.slice(0, 1) } });
      const full = await bsky.publish(account, { rkeys, createdAt, content });
      expect(full.alreadyPublished).toBe(false);
      expect(full.root).toEqual(partial.root);

      const all = await pds.listPosts(alice.did);
      const thread = rkeys.map((k) => all.filter((r) => r.uri.endsWith(`/${k}`)));
      expect(thread.map((t) => t.length)).toEqual([1, 1, 1]);
      const [p0, p1, p2] = thread.map((t) => t[0]!);
      expect(p0!.value.reply).toBeUndefined();
      expect(p1!.value.reply).toEqual({ root: { uri: p0!.uri, cid: p0!.cid }, parent: { uri: p0!.uri, cid: p0!.cid } });
      expect(p2!.value.reply).toEqual({ root: { uri: p0!.uri, cid: p0!.cid }, parent: { uri: p1!.uri, cid: p1!.cid } });

      const again = await bsky.publish(account, { rkeys, createdAt, content });
      expect(again.alreadyPublished).toBe(true);
      expect((await pds.listPosts(alice.did)).filter((r) => rkeys.some((k) => r.uri.endsWith(`/${k}`)))).toHaveLength(3);
    });

    it("classifies failures: bad token → auth, dead PDS → transient, invalid content → permanent", async () => {
      const request = { rkeys: newRecordKeys(1), createdAt: new Date(), content: post("never seen") };
      const badToken = { ...account, credentials: { ...account.credentials, accessJwt: "not-a-jwt" } };
      await expect(bsky.publish(badToken, request)).rejects.toBeInstanceOf(AuthPlatformError);
      const dead = { ...account, instanceUrl: `http://127.0.0.1:${await freePort()}` };
      await expect(bsky.publish(dead, request)).rejects.toBeInstanceOf(TransientPlatformError);
      await expect(bsky.publish(account, { ...request, content: post("x".repeat(301)) })).rejects.toBeInstanceOf(PermanentPlatformError);
      expect((await pds.listPosts(alice.did)).some((r) => r.value.text === "never seen")).toBe(false);
    });
  });

  describe("tokens", () => {
    it("refreshSession rotates the refresh token", async () => {
      const own = await connectAs(alice);
      const next = await bsky.refreshSession(own);
      expect(next.did).toBe(alice.did);
      expect(next.refreshJwt).not.toBe(own.credentials.refreshJwt);
      const after = await bsky.refreshSession({ ...own, credentials: { ...own.credentials, refreshJwt: next.refreshJwt } });
      expect(after.refreshJwt).not.toBe(next.refreshJwt);
    });

    it("forceRefreshTokens falls back to the app password, and asks for reauth once it is revoked", async () => {
      const carol = await pds.createAccount("carol");
      const own = await connectAs(carol);
      const broken = { ...own, credentials: { ...own.credentials, refreshJwt: "garbage.token.here" } };
      const renewed = await bsky.forceRefreshTokens(broken);
      expect(renewed.did).toBe(carol.did);
      expect(renewed.refreshJwt).not.toBe(own.credentials.refreshJwt);

      await pds.revokeAppPassword(carol, carol.appPasswordName);
      const err = await bsky.forceRefreshTokens(broken).catch((e) => e);
      expect(err).toBeInstanceOf(ReauthRequiredError);
      expect((err as Error).message).toMatch(/reconnect/);
    });
  });

  it("validate explains every problem a person can fix", () => {
    const big = Buffer.alloc(1_000_001).toString("base64");
    const problems = bsky.validate({
      segments: [
        { text: "" },
        { text: "👩‍👩‍👧".repeat(300) },
        { text: "ok", images: [1, 2, 3, 4, 5].map(() => ({ data: "iVBORw0KGgo=", mimeType: "image/png", alt: "x" })) },
        { text: "ok", images: [{ data: big, mimeType: "image/bmp", alt: " " }] },
      ],
      langs: ["en", "not a lang"],
    });
    expect(problems).toEqual([
      "post 1 of the thread: text is empty",
      expect.stringMatching(/post 2 of the thread: .*bytes is over Bluesky's limit of 3000 bytes/),
      "post 3 of the thread: 5 images is more than Bluesky's limit of 4",
      expect.stringMatching(/post 4 of the thread, image 1: type "image\/bmp" is not accepted/),
      expect.stringMatching(/image 1: alt text is required/),
      expect.stringMatching(/image 1: 1,000,001 bytes is over Bluesky's limit/),
      expect.stringMatching(/"not a lang" is not a language tag/),
    ]);
    expect(bsky.validate({ segments: [{ text: "x".repeat(301) }] })).toEqual([
      "the post: 301 characters is over Bluesky's limit of 300",
    ]);
    expect(bsky.validate({ segments: Array.from({ length: 26 }, () => ({ text: "a" })) })).toEqual([
      "a thread can have at most 25 posts (this one has 26)",
    ]);
    expect(bsky.validate({ segments: [{ text: "👩‍👩‍👧".repeat(300) }] }).join()).not.toMatch(/characters/);
  });
});
