import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as platformsRoute } from "@/app/api/platforms/route";
import { getPostQueue, initPostQueue } from "@/app/lib/queues/postQueue";
import { runPostDelivery } from "@/app/lib/queues/processDelivery";
import { connectMastodon } from "@/test/conformance/harnesses";
import { call } from "@/test/helpers/http";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";
import { MastodonDouble } from "@/test/mastodon/mastodonDouble";

/**
 * Each Mastodon instance sets its own limits (/api/v2/instance): posts are judged by the
 * instance of the account they go to — on POST, when published, and in the composer's counter.
 */
describe("Mastodon per-instance limits", () => {
  let tc: TestContext;
  let token: string;
  let api: ReturnType<typeof postsApi>;
  let big: MastodonDouble;
  let small: MastodonDouble;
  const accountOn = { big: "", small: "" };

  beforeAll(async () => {
    tc = await createTestContext("postgres", { MASTODON_MEDIA_POLL_MS: "50" });
    initPostQueue(tc.ctx);
    token = (await createTestUser(tc.ctx)).token;
    api = postsApi(token);
    big = await new MastodonDouble({ username: "wordy", maxCharacters: 1000 }).start();
    small = await new MastodonDouble({ username: "terse", maxCharacters: 500 }).start();
    for (const [name, double] of [["big", big], ["small", small]] as const) {
      await connectMastodon(double, token);
      const { rows } = await tc.ctx.database.pool.query<{ id: string }>("SELECT id FROM social_accounts WHERE instance_url = $1", [double.url]);
      accountOn[name] = rows[0]!.id;
    }
  }, 120_000);

  afterAll(async () => {
    await getPostQueue(tc.ctx)?.close();
    await big?.close();
    await small?.close();
    await tc?.close();
  });

  const text600 = "a".repeat(600);
  const instanceReads = (d: MastodonDouble) => d.requests.filter((r) => r.route === "GET /api/v2/instance").length;

  it("accepts a 600-character post for a 1000-character instance and refuses it for a 500-character one, naming the instance", async () => {
    const reads = instanceReads(big) + instanceReads(small);
    const ok = await api.create({ text: text600, accountIds: [accountOn.big], scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(ok.status).toBe(201);

    const refused = await api.create({ text: text600, accountIds: [accountOn.big, accountOn.small] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("validation_failed");
    expect(refused.body.error.message).toBe(`Mastodon (${small.host}): 600 characters, the instance allows 500`);
    // The limits were read when the accounts connected: checking a post asks no instance.
    expect(instanceReads(big) + instanceReads(small)).toBe(reads);
  });

  it("publishes a post the instance allows, though it is longer than Mastodon's default", async () => {
    const created = await api.create({ text: text600, accountIds: [accountOn.big] });
    expect(created.status).toBe(201);
    const deliveryId = created.body.post.deliveries[0].id as string;
    expect(await runPostDelivery(tc.ctx, deliveryId)).toBe("published");
    expect(big.statusesOf().map((s) => s.text)).toContain(text600);
  });

  it("gives the composer each account's own limits (GET /api/platforms)", async () => {
    const res = await call(platformsRoute, { path: "/api/platforms", token });
    expect(res.status).toBe(200);
    const of = (id: string) => res.body.accounts.find((a: { accountId: string }) => a.accountId === id)?.descriptor;
    expect(of(accountOn.big)).toMatchObject({ name: "mastodon", label: `Mastodon (${big.host})`, text: { maxLength: 1000, urlLength: 23 } });
    expect(of(accountOn.small)).toMatchObject({ name: "mastodon", text: { maxLength: 500 } });
    // The platform's own descriptor is Mastodon's default.
    expect(res.body.platforms.find((p: { name: string }) => p.name === "mastodon").text.maxLength).toBe(500);
  });

  it("reads limits older than a day again (the stored ones answer meanwhile)", async () => {
    await tc.ctx.database.pool.query("UPDATE mastodon_apps SET limits_fetched_at = now() - interval '2 days' WHERE instance_url = $1", [big.url]);
    big.limits.maxCharacters = 550;
    // Judged by the stored limits (1000) while the instance is read again in the background.
    expect((await api.create({ text: text600, accountIds: [accountOn.big], scheduledAt: new Date(Date.now() + 86_400_000).toISOString() })).status).toBe(201);
    await waitFor("the new limits stored", async () => {
      const { rows } = await tc.ctx.database.pool.query<{ max: number }>("SELECT (limits->>'maxCharacters')::int AS max FROM mastodon_apps WHERE instance_url = $1", [big.url]);
      return rows[0]?.max === 550;
    });
    const refused = await api.create({ text: text600, accountIds: [accountOn.big] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/600 characters, the instance allows 550/);
  });
});
