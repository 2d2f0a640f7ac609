import type { Browser, Page } from "playwright-core";
import { launchChromium, signIn } from "@/e2e/servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/app/lib/auth/users";
import { getPostQueue } from "@/app/lib/queues/postQueue";
import { startWorkers, type RunningWorkers } from "@/app/lib/queues/worker";
import { getWebhookQueue } from "@/app/lib/webhooks/queue";
import { verifyWebhookSignature } from "@/app/lib/webhooks/signature";
import { startWebApps, type WebApp } from "@/test/security/webApp";
import { createTestContext, type TestContext } from "@/test/helpers/testContext";
import { startReceiver } from "./receiver";

/**
 * The webhooks panel of the settings page in Chromium against the production build, with the
 * worker's webhook queue running on the same database: add (secret shown once), send a test
 * event and read it in the delivery log, see a paused endpoint and resume it, delete.
 */
const email = "webhooks-ui@example.test";
const password = "correct horse battery";

describe("webhooks in the settings page", () => {
  let t: TestContext;
  let web: WebApp;
  let browser: Browser;
  let page: Page;
  let running: RunningWorkers;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(200);
    t = await createTestContext("postgres", { WEBHOOK_RELAY_INTERVAL_MS: "200" });
    await createUser(t.ctx.database.db, { email, password, role: "user" });
    [web] = (await startWebApps(t, [{ OUTBOUND_ALLOWLIST: new URL(receiver.url).host }])) as [WebApp];
    running = await startWorkers(t.ctx);
    browser = await launchChromium();
    page = await (await browser.newContext({ baseURL: web.url })).newPage();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await web?.proc.stop();
    await running?.close(5_000);
    await getWebhookQueue(t.ctx).close();
    await getPostQueue(t.ctx).close();
    await receiver?.close();
    await t?.close();
  });

  it("adds a webhook, sends a test event shown in the log, resumes a paused one and deletes it", async () => {
    await signIn(page, email, password);
    await page.goto("/settings");

    await page.getByLabel("URL").fill(receiver.url);
    await page.getByRole("button", { name: "Add webhook" }).click();
    const secret = (await page.getByTestId("new-webhook-secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    const list = page.getByRole("list", { name: "Webhooks" });
    await list.getByText(receiver.url).waitFor();
    await list.getByText("active", { exact: true }).waitFor();

    await list.getByRole("button", { name: "Send test event" }).click();
    await list.getByRole("button", { name: "Delivery log" }).click();
    const log = page.getByRole("table", { name: "Delivery log" });
    await log.getByText("#1: 200").waitFor({ timeout: 30_000 });
    await log.getByText("delivered", { exact: true }).waitFor();
    const [req] = receiver.requests;
    expect(verifyWebhookSignature(secret, req!.headers["postmore-signature"] as string, req!.body)).toBe(true);

    // The state persistent failure leaves (the pause rule itself is tested in webhooks.test.ts).
    await t.ctx.database.pool.query("UPDATE webhooks SET paused_at = now(), paused_reason = '3 events in a row failed every attempt'");
    await page.reload();
    await list.getByText("3 events in a row failed every attempt", { exact: false }).waitFor();
    await list.getByRole("button", { name: "Resume" }).click();
    await list.getByText("active", { exact: true }).waitFor();
    expect((await t.ctx.database.pool.query("SELECT paused_at FROM webhooks")).rows[0].paused_at).toBeNull();

    await list.getByRole("button", { name: "Delete" }).click();
    await list.getByText(receiver.url).waitFor({ state: "detached" });
    expect((await t.ctx.database.pool.query("SELECT count(*)::int AS n FROM webhooks")).rows[0].n).toBe(0);
  });
});
