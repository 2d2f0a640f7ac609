import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countMastodonCharacters } from "@/app/lib/api/mastodon/text";
import { createUser } from "@/app/lib/auth/users";
import { freePort } from "@/test/helpers/freePort";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { createTestContext, LOOPBACK_ALLOWLIST, type TestContext } from "@/test/helpers/testContext";
import { MastodonDouble } from "@/test/mastodon/mastodonDouble";
import { ensureBuild, launchChromium, signIn, startWeb, startWorker, waitForHealth, type Proc } from "./servers";

/**
 * Bluesky and Mastodon side by side in a real browser: connect a Mastodon account through its
 * instance's consent page (the test double), compose one post with each platform's counter,
 * and see it published exactly once on each (listRecords on the PDS, the double's statuses).
 */

const SHOTS = path.resolve(import.meta.dirname, "..", process.env.SCREENSHOTS_DIR ?? "e2e/.screenshots");
const PASSWORD = "correct horse battery staple";

describe("Bluesky and Mastodon in the browser", () => {
  let tc: TestContext;
  let pds: TestPds;
  let bsky: TestAccount;
  let double: MastodonDouble;
  let web: Proc;
  let worker: Proc;
  let browser: Browser;
  let page: Page;
  const email = `two-${randomBytes(3).toString("hex")}@example.test`;

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    await ensureBuild((l) => console.log(l));
    tc = await createTestContext("postgres");
    await createUser(tc.ctx.database.db, { email, password: PASSWORD, role: "user" });
    pds = await startTestPds();
    bsky = await pds.createAccount("two");
    double = await new MastodonDouble({ username: "alice", mediaProcessingPolls: 1 }).start();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: tc.databaseUrl,
      POSTMORE_SECRET: tc.secret,
      QUEUE_BACKEND: "postgres",
      LOG_LEVEL: "info",
      ATPROTO_PLC_URL: pds.plcUrl,
      ATPROTO_HANDLE_RESOLVER_URL: pds.url,
      OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
      MASTODON_MEDIA_POLL_MS: "100",
    };
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    web = startWeb(port, { ...env, PORT: String(port) });
    worker = startWorker(env);
    await waitForHealth(base, web);
    browser = await launchChromium(["--disable-quic", "--disable-component-update", "--disable-sync"]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: base });
    page = await context.newPage();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled([web?.stop(), worker?.stop()]);
    await double?.close();
    await pds?.close();
    await tc?.close();
  }, 60_000);

  it("connects a Bluesky and a Mastodon account", async () => {
    await signIn(page, email, PASSWORD);
    await page.goto("/accounts");
    await page.getByLabel("Handle or DID").fill(bsky.handle);
    await page.getByLabel(/^App password/).fill(bsky.appPassword);
    await page.getByLabel(/^PDS URL/).fill(pds.url);
    await page.getByRole("button", { name: "Connect account" }).click();
    await page.locator(`li[data-account="${bsky.handle}"]`).waitFor();

    // Instance URL → the instance's consent page (the double approves at once) → back on /accounts.
    await page.getByLabel("Your Mastodon server").fill(double.url);
    await page.getByRole("button", { name: "Continue on your server" }).click();
    const handle = `@alice@${double.host}`;
    const row = page.locator(`li[data-account="${handle}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(page.url()).toMatch(/\/accounts$/);
    await expect(row.locator(".badge").innerText()).resolves.toBe("Active");
    await expect(row.locator('[data-platform="mastodon"]').count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(SHOTS, "mastodon-accounts.png"), fullPage: true });
  }, 120_000);

  it("posts once to both, with each platform's counter and a View link to each host", async () => {
    await page.goto("/compose");
    const text = `Hello Bluesky and Mastodon ${Date.now().toString(36)} https://example.com/a/rather/long/path/to/count/differently`;
    await page.getByRole("checkbox", { name: new RegExp(bsky.handle.replace(/\./g, "\\.")) }).check();
    await page.getByRole("checkbox", { name: /@alice@/ }).check();
    await page.getByRole("textbox", { name: "Post text" }).fill(text);
    // Each platform counts its own way: graphemes for Bluesky, every URL as 23 for Mastodon.
    await expect(page.locator('[data-counter="bluesky"]').innerText()).resolves.toContain(`${[...text].length}/300`);
    await expect(page.locator('[data-counter="mastodon"]').innerText()).resolves.toContain(`${countMastodonCharacters(text)}/500`);
    await page.screenshot({ path: path.join(SHOTS, "mastodon-composer.png"), fullPage: true });
    await page.getByRole("radio", { name: "Post now" }).check();
    await page.getByRole("button", { name: "Post now" }).click();
    await page.getByRole("link", { name: "See it in your posts" }).click();
    const card = page.locator("li[data-post]").filter({ hasText: "Hello Bluesky and Mastodon" });
    await card
      .locator('.item-head [data-status="published"]')
      .waitFor({ timeout: 90_000 })
      .catch((err: unknown) => {
        throw new Error(`${String(err)}\n--- worker output ---\n${worker.output()}`);
      });

    const onPds = (await pds.listPosts(bsky.did)).filter((r) => r.value.text === text);
    expect(onPds).toHaveLength(1);
    const onMastodon = double.statusesOf().filter((s) => s.text === text);
    expect(onMastodon).toHaveLength(1);

    const links = await card.getByTestId("published-link").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    expect(links).toHaveLength(2);
    expect(links.some((l) => l.startsWith(`${double.url}/`) && l.endsWith(onMastodon[0]!.id))).toBe(true);
    expect(links.some((l) => new URL(l).searchParams.get("rkey") === onPds[0]!.uri.split("/").pop())).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, "mastodon-published.png"), fullPage: true });
  }, 180_000);
});
