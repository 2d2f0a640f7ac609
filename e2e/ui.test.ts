import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/app/lib/auth/users";
import { freePort } from "@/test/helpers/freePort";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { createTestContext, LOOPBACK_ALLOWLIST, type TestContext } from "@/test/helpers/testContext";
import { ensureBuild, startWeb, startWorker, waitForHealth, type Proc } from "./servers";

/**
 * The browser UI end to end: the production build (`next start`), a worker process, PostgreSQL
 * (data and queues) and a real local Bluesky PDS, driven in Debian's Chromium.
 */

const SHOTS = path.resolve(import.meta.dirname, "../docs/screenshots");
const TZ = "America/New_York";
const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "correct horse battery staple";

describe("web UI in a real browser", () => {
  let tc: TestContext;
  let pds: TestPds;
  let bsky: TestAccount;
  let web: Proc;
  let worker: Proc;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let base: string;
  const adminEmail = `admin-${randomBytes(3).toString("hex")}@example.test`;
  const userEmail = `user-${randomBytes(3).toString("hex")}@example.test`;

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (never \`npx playwright install\`)`);
    await ensureBuild((l) => console.log(l));
    tc = await createTestContext("postgres");
    await createUser(tc.ctx.database.db, { email: adminEmail, password: PASSWORD, role: "admin" });
    await createUser(tc.ctx.database.db, { email: userEmail, password: PASSWORD, role: "user" });
    pds = await startTestPds();
    bsky = await pds.createAccount("ui");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: tc.databaseUrl,
      POSTMORE_SECRET: tc.secret,
      QUEUE_BACKEND: "postgres",
      LOG_LEVEL: "info",
      ATPROTO_PLC_URL: pds.plcUrl,
      ATPROTO_HANDLE_RESOLVER_URL: pds.url,
      ATPROTO_TIMEOUT_MS: "5000",
      OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
    };
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    web = startWeb(port, { ...env, PORT: String(port) });
    worker = startWorker(env);
    await waitForHealth(base, web);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
    });
    admin = await browser.newContext({ timezoneId: TZ, viewport: { width: 1280, height: 860 }, baseURL: base });
    page = await admin.newPage();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled([web?.stop(), worker?.stop()]);
    await pds?.close();
    await tc?.close();
  }, 60_000);

  async function signIn(p: Page, email: string) {
    await p.goto("/signin");
    await p.getByLabel("Email").fill(email);
    await p.getByLabel("Password").fill(PASSWORD);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL("**/posts");
  }

  it("sends signed-out visitors to sign in, and signs in", async () => {
    await page.goto("/accounts");
    await page.waitForURL("**/signin");
    await shot(page, "01-signin");
    await signIn(page, adminEmail);
    await page.getByText("No posts yet").waitFor();
  });

  it("connects a Bluesky account from the local PDS", async () => {
    await page.getByRole("link", { name: "Accounts" }).click();
    await page.getByText("No accounts yet").waitFor();
    await page.getByLabel("Handle or DID").fill(bsky.handle);
    await page.getByLabel(/^App password/).fill(bsky.appPassword);
    await page.getByLabel(/^PDS URL/).fill(pds.url);
    await page.getByRole("button", { name: "Connect account" }).click();
    const row = page.locator(`li[data-account="${bsky.handle}"]`);
    await row.waitFor();
    await expect(row.locator(".badge").innerText()).resolves.toBe("Active");
    await shot(page, "02-accounts");
  });

  it("refuses an over-long post with a visible message", async () => {
    await page.getByRole("link", { name: "Compose" }).click();
    const text = page.getByRole("textbox", { name: "Post text" });
    await text.fill("x".repeat(310));
    await expect(page.locator(".counter").first().getAttribute("class")).resolves.toContain("over");
    await page.getByRole("radio", { name: "Post now" }).check();
    await page.getByRole("button", { name: "Post now" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "over Bluesky's limit of 300" });
    await alert.first().waitFor();
    await shot(page, "03-composer-too-long");
    // The draft survives a reload.
    await page.reload();
    // Restoring happens after hydration: wait for it before reading the text box.
    await page.getByText("Draft restored").waitFor();
    await expect(page.getByRole("textbox", { name: "Post text" }).inputValue()).resolves.toBe("x".repeat(310));
  });

  it("schedules a post with an emoji, a link and a mention a few seconds ahead, in New York time, and sees it published", async () => {
    const body = `Hello 👋🏽 from PostMore! https://example.com/docs @${bsky.handle} #scheduling`;
    await page.getByRole("textbox", { name: "Post text" }).fill(body);
    await page.getByRole("radio", { name: "Schedule" }).check();
    await expect(page.getByLabel("Time zone").inputValue()).resolves.toBe(TZ);
    const at = new Date(Date.now() + 12_000);
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat("en-CA", { timeZone: TZ, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
        .formatToParts(at)
        .map((p) => [p.type, p.value]),
    );
    await page.getByLabel("Date").fill(`${parts.year}-${parts.month}-${parts.day}`);
    await page.getByLabel("Time", { exact: true }).fill(`${parts.hour}:${parts.minute}:${parts.second}`);
    await expect(page.locator("mark.link").innerText()).resolves.toBe("https://example.com/docs");
    await expect(page.locator("mark.mention").innerText()).resolves.toBe(`@${bsky.handle}`);
    // An image: previewed, and refused without alt text.
    const png = await page.evaluate(() => {
      const c = document.createElement("canvas");
      c.width = 320;
      c.height = 200;
      const g = c.getContext("2d")!;
      const grad = g.createLinearGradient(0, 0, 320, 200);
      grad.addColorStop(0, "#2457d6");
      grad.addColorStop(1, "#9b5de5");
      g.fillStyle = grad;
      g.fillRect(0, 0, 320, 200);
      g.fillStyle = "#fff";
      g.font = "bold 36px sans-serif";
      g.fillText("PostMore", 80, 112);
      return c.toDataURL("image/png").split(",")[1]!;
    });
    await page.getByLabel("Add images to Post text").setInputFiles({ name: "banner.png", mimeType: "image/png", buffer: Buffer.from(png, "base64") });
    await page.locator(".image-tile img").waitFor();
    await page.getByRole("button", { name: "Schedule post" }).click();
    await page.getByText("Describe this image for people who cannot see it.").waitFor();
    await page.getByLabel("Alt text (required)").fill("The word PostMore on a blue-to-purple gradient");
    await page.getByLabel("Date").fill(`${parts.year}-${parts.month}-${parts.day}`);
    await page.getByLabel("Time", { exact: true }).fill(`${parts.hour}:${parts.minute}:${parts.second}`);
    await shot(page, "04-composer");
    await page.getByRole("button", { name: "Schedule post" }).click();
    await page.getByRole("status").filter({ hasText: /Scheduled for|On its way/ }).waitFor();

    await page.getByRole("link", { name: "See it in your posts" }).click();
    const card = page.locator("li[data-post]").filter({ hasText: "Hello 👋🏽 from PostMore!" });
    await card
      .locator('.item-head [data-status="published"]')
      .waitFor({ timeout: 60_000 })
      .catch(async (err: unknown) => {
        await shot(page, "05-posts-not-published");
        throw new Error(`${String(err)}\n--- worker output ---\n${worker.output()}`);
      });
    const href = await card.getByTestId("published-link").getAttribute("href");
    expect(href).toMatch(new RegExp(`^https://bsky\\.app/profile/${bsky.did}/post/[a-z0-9]+$`));
    const onPds = await pds.listPosts(bsky.did);
    const published = onPds.filter((r) => r.value.text === body);
    expect(published).toHaveLength(1);
    expect(JSON.stringify(published[0]!.value.embed)).toContain("The word PostMore");
    expect(href!.endsWith(onPds[0]!.uri.split("/").pop()!)).toBe(true);
    await shot(page, "05-posts-published");
  }, 120_000);

  it("cancels another scheduled post", async () => {
    await page.getByRole("link", { name: "Compose" }).click();
    await page.getByRole("textbox", { name: "Post text" }).fill("A thread that will be cancelled, part two");
    // Thread builder: add a second part, then move it up so the order is right.
    await page.getByRole("button", { name: "+ Add to thread" }).click();
    await page.getByRole("textbox", { name: "Post 2 of 2" }).fill("This one will be cancelled (part one)");
    await page.getByRole("button", { name: "Move Post 2 of 2 up" }).click();
    await expect(page.getByRole("textbox", { name: "Post 1 of 2" }).inputValue()).resolves.toBe("This one will be cancelled (part one)");
    await page.getByRole("radio", { name: "Schedule" }).check();
    await shot(page, "06-composer-thread");
    await page.getByRole("button", { name: "Schedule post" }).click();
    await page.getByRole("status").filter({ hasText: "Scheduled for" }).waitFor();
    await page.getByRole("link", { name: "Posts", exact: true }).click();
    const card = page.locator("li[data-post]").filter({ hasText: "will be cancelled" });
    await card.getByRole("button", { name: "Edit" }).click();
    await card.getByRole("textbox", { name: "Text" }).fill("This one will be cancelled (edited)");
    await card.getByRole("button", { name: "Save text" }).click();
    await card.getByText("This one will be cancelled (edited)").waitFor();
    await card.getByRole("button", { name: "Cancel post" }).click();
    await card.getByRole("button", { name: "Yes, cancel it" }).click();
    await card.locator('.item-head [data-status="cancelled"]').waitFor();
    await expect(card.getByText("Thread of 2 posts").count()).resolves.toBe(1);
    await shot(page, "07-posts-cancelled");
    await page.getByRole("link", { name: "Calendar" }).click();
    await page.locator(".cal-post").first().waitFor();
    await shot(page, "08-calendar");
  });

  it("shows the admin queue counts change, the worker alive, and triggers a token refresh", async () => {
    await page.getByRole("link", { name: "Admin" }).click();
    const posts = page.locator('[data-queue="posts"]');
    await posts.waitFor();
    const completed = posts.locator('[data-count="completed"] b');
    const before = Number(await completed.innerText());
    expect(before).toBeGreaterThanOrEqual(1);
    await page.getByTestId("worker-status").filter({ hasText: "Worker running" }).waitFor({ timeout: 15_000 });
    // Post again through the API from the page: the counters follow without a reload.
    await page.evaluate(async (id) => {
      const accounts = (await (await fetch("/api/accounts")).json()) as { accounts: Array<{ id: string }> };
      await fetch("/api/posts", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: `counter ${id}`, accountIds: [accounts.accounts[0]!.id] }) });
    }, randomBytes(2).toString("hex"));
    await page.waitForFunction((n) => Number(document.querySelector('[data-queue="posts"] [data-count="completed"] b')?.textContent) > n, before, { timeout: 30_000 });
    const refreshed = Number(await page.locator('[data-queue="token-refresh"] [data-count="completed"] b').innerText());
    await page.getByRole("button", { name: "Refresh all tokens" }).click();
    await page.getByRole("status").filter({ hasText: "queued" }).waitFor();
    await page.waitForFunction((n) => Number(document.querySelector('[data-queue="token-refresh"] [data-count="completed"] b')?.textContent) > n, refreshed, { timeout: 30_000 });
    await shot(page, "09-admin");
  });

  it("gives a non-admin no dashboard", async () => {
    const ctx = await browser.newContext({ timezoneId: TZ, viewport: { width: 390, height: 844 }, baseURL: base });
    const p = await ctx.newPage();
    await signIn(p, userEmail);
    await expect(p.getByRole("link", { name: "Admin" }).count()).resolves.toBe(0);
    await p.goto("/admin");
    await p.getByTestId("forbidden").waitFor();
    const api = await p.evaluate(async () => (await fetch("/api/admin/queues")).status);
    expect(api).toBe(403);
    await shot(p, "10-non-admin-403-mobile");
    await p.goto("/compose");
    await p.getByRole("textbox", { name: "Post text" }).waitFor();
    await shot(p, "11-composer-mobile");
    await ctx.close();
  });
});
