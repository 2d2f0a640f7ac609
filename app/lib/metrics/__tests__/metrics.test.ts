import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as metrics } from "@/app/api/metrics/route";
import { recordAccountError } from "@/app/lib/accounts/service";
import { startWorkers, type RunningWorkers } from "@/app/lib/queues/worker";
import { call } from "@/test/helpers/http";
import { createMemoryPlatform, insertMemoryAccount } from "@/test/helpers/memoryPlatform";
import { postsApi, waitFor } from "@/test/helpers/postsApi";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

const METRICS_TOKEN = "scrape-token-0123456789";

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : undefined;
}

describe.each(BACKENDS)("GET /api/metrics with queues on %s", (kind) => {
  let t: TestContext;
  let restore: () => void;
  let workers: RunningWorkers | undefined;
  beforeAll(async () => {
    t = await createTestContext(kind, { METRICS_TOKEN });
    restore = createMemoryPlatform().register(t.ctx);
  });
  afterAll(async () => {
    await workers?.close(5000);
    restore();
    await t.close();
  });

  it("is for admins and the metrics token only", async () => {
    const user = await createTestUser(t.ctx, "user");
    expect((await call(metrics)).status).toBe(401);
    expect((await call(metrics, { token: "wrong-token-0123456789" })).status).toBe(401);
    expect((await call(metrics, { token: user.token })).status).toBe(403);
    const scraped = await call(metrics, { token: METRICS_TOKEN });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toMatch(/^text\/plain/);
  });

  it("moves when a post is scheduled and when it is published", async () => {
    const admin = await createTestUser(t.ctx, "admin");
    const account = await insertMemoryAccount(t.ctx, admin.user.id);
    const scrape = async () => (await call(metrics, { token: admin.token })).body as string;

    const before = await scrape();
    expect(before).toContain("# TYPE postmore_publish_lateness_seconds histogram");
    expect(before).toMatch(/postmore_process_resident_memory_bytes \d+/);
    const publishedBefore = sample(before, 'postmore_deliveries{platform="bluesky",status="published"}') ?? 0;

    const api = postsApi(admin.token);
    const later = await api.create({
      text: "scheduled for tomorrow",
      accountIds: [account.id],
      scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(later.status).toBe(201);
    const delayed = await scrape();
    expect(sample(delayed, 'postmore_queue_jobs{queue="posts",state="delayed"}')).toBe(1);
    expect(sample(delayed, 'postmore_deliveries{platform="bluesky",status="pending"}')).toBe(1);

    const now = await api.create({ text: "publish me now", accountIds: [account.id] });
    expect(now.status).toBe(201);
    workers = await startWorkers(t.ctx);
    await waitFor("published", async () => (await api.get(now.body.post.id)).body.post.status === "published");

    const after = await scrape();
    expect(sample(after, 'postmore_deliveries{platform="bluesky",status="published"}')).toBe(publishedBefore + 1);
    expect(sample(after, "postmore_publish_lateness_seconds_count")).toBe(1);
    expect(sample(after, 'postmore_publish_lateness_seconds_bucket{le="+Inf"}')).toBe(1);
    expect(sample(after, 'postmore_accounts{platform="bluesky",status="active"}')).toBe(1);
    // Published within the hour it was due: counted in the 1 h bucket, with a sum below an hour.
    expect(sample(after, 'postmore_publish_lateness_seconds_bucket{le="3600"}')).toBe(1);
    expect(sample(after, "postmore_publish_lateness_seconds_sum")).toBeLessThan(3600);
    expect(sample(after, 'postmore_accounts_with_refresh_error{platform="bluesky",status="active"}')).toBe(0);

    await recordAccountError(t.ctx, account.id, "token refresh will be retried: 503");
    const erred = await scrape();
    expect(sample(erred, 'postmore_accounts_with_refresh_error{platform="bluesky",status="active"}')).toBe(1);
    expect(sample(erred, 'postmore_accounts{platform="bluesky",status="active"}')).toBe(1);
  });
});
