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

// `npm test` must write nothing tracked: screenshots go to an ignored folder unless
// `npm run screenshots` asks for docs/screenshots on purpose.
const SHOTS = path.resolve(import.meta.dirname, "..", process.env.SCREENSHOTS_DIR ?? "e2e/.screenshots");
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
    fs.mkdirSync(SHOTS, { recursive: true });
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
      // The web process stores uploads, the worker reads them: one data dir for both (and the test).
      POSTMORE_DATA_DIR: tc.ctx.config.dataDir,
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
    // The draft survives a reload: saved on every change, so a reload right after typing keeps it.
    await text.fill("typed just before a reload");
    await page.reload();
    // Restoring happens after hydration: wait for the text itself (no timing guess).
    await page.waitForFunction(() => (document.querySelector("textarea") as HTMLTextAreaElement | null)?.value === "typed just before a reload", undefined, { timeout: 45_000 });
    await page.getByText("Draft restored").waitFor();
    await page.getByRole("textbox", { name: "Post text" }).fill("x".repeat(310));
  });

  it("states a time the clocks skip, searches time zones by current names, and refuses a past time", async () => {
    await page.getByRole("radio", { name: "Schedule" }).check();
    const tz = page.getByLabel("Time zone");
    await expect(tz.inputValue()).resolves.toBe(TZ);
    // 14 March 2027, 02:30 does not exist in New York: it is posted at 03:30 EDT, and the page says so.
    await page.getByLabel("Date").fill("2027-03-14");
    await page.getByLabel("Time", { exact: true }).fill("02:30");
    const note = page.getByTestId("when-clock-change");
    await note.waitFor();
    await expect(note.innerText()).resolves.toMatch(/02:30 does not exist .* posted at 3:30\sAM EDT/);
    // Searchable, with today's names: Asia/Kolkata and Europe/Kyiv are there, the old names are not.
    const options = await page.locator("#when-tz-zones option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(expect.arrayContaining(["Asia/Kolkata", "Europe/Kyiv", "Australia/Lord_Howe"]));
    expect(options).not.toContain("Asia/Calcutta");
    await tz.fill("Asia/Kolkata");
    await page.getByText("UTC+05:30").waitFor();
    await expect(note.count()).resolves.toBe(0);
    await tz.fill(TZ);
    await page.getByLabel("Date").fill("2020-01-01");
    await page.getByText("That time has passed").waitFor();
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
    // A local PDS is not on Bluesky's network: bsky.app could not show the post, so the link is the record on the PDS itself.
    expect(new URL(href!).searchParams.get("repo")).toBe(bsky.did);
    const onPds = await pds.listPosts(bsky.did);
    const published = onPds.filter((r) => r.value.text === body);
    expect(published).toHaveLength(1);
    expect(JSON.stringify(published[0]!.value.embed)).toContain("The word PostMore");
    expect(new URL(href!).searchParams.get("rkey")).toBe(onPds[0]!.uri.split("/").pop());
    // The list carries no image bytes: the thumbnail comes from the owner-only image route.
    const thumb = card.locator(".thumbs img");
    await expect(thumb.getAttribute("alt")).resolves.toBe("The word PostMore on a blue-to-purple gradient");
    await page.waitForFunction(() => ((document.querySelector(".thumbs img") as HTMLImageElement | null)?.naturalWidth ?? 0) > 0, undefined, { timeout: 30_000 });
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
    // Every part of the thread is shown, not only the first.
    await expect(card.locator(".thread-parts > li").allInnerTexts()).resolves.toEqual([
      expect.stringContaining("This one will be cancelled (edited)"),
      expect.stringContaining("A thread that will be cancelled, part two"),
    ]);
    await shot(page, "07-posts-cancelled");
  });

  it("shows the calendar's visible range in one time format, a week hour grid, and refuses drops on the past", async () => {
    const tomorrowNoon = await page.evaluate(async () => {
      const accounts = (await (await fetch("/api/accounts")).json()) as { accounts: Array<{ id: string }> };
      const at = new Date(Date.now() + 26 * 3600_000);
      const res = await fetch("/api/posts", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "Drag me around the calendar, a long text that the calendar shows in full on hover", accountIds: [accounts.accounts[0]!.id], scheduledAt: at.toISOString(), timeZone: "America/New_York" }),
      });
      return ((await res.json()) as { post: { id: string; scheduledAt: string } }).post;
    });
    await page.evaluate(() => performance.clearResourceTimings());
    await page.getByRole("link", { name: "Calendar" }).click();
    const entry = page.locator(".cal-post").filter({ hasText: "Drag me around" });
    await entry.waitFor();
    // One locale-aware time format, the same as the posts page ("9:30 AM" in en-US).
    const entryTime = await entry.locator("time").innerText();
    expect(entryTime).toMatch(/^\d{1,2}:\d{2}\s[AP]M$/);
    await expect(entry.getAttribute("title")).resolves.toContain("shows in full on hover");
    // Only the visible range was asked for.
    const ranges = await page.evaluate(() =>
      performance
        .getEntriesByType("resource")
        .map((e) => e.name)
        .filter((n) => n.includes("/api/posts?")),
    );
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges.every((n) => n.includes("from=") && n.includes("to="))).toBe(true);
    // A drop on a past day changes nothing; then a drop on a later day moves it.
    let past = page.locator(".cal-day.past");
    if ((await past.count()) === 0) {
      await page.getByRole("button", { name: "Week" }).click();
      past = page.locator(".cal-slot.past");
    }
    await entry.dragTo(past.last());
    await page.getByRole("button", { name: "Week" }).click();
    await expect(page.getByTestId("cal-range").innerText()).resolves.toMatch(/\d.*[–-].*\d{4}/);
    await expect(page.locator(".cal-hour").count()).resolves.toBe(24);
    const weekEntry = page.locator(".cal-post").filter({ hasText: "Drag me around" });
    // Weeks start on Monday: on a Sunday, tomorrow is in the next week.
    const sunday = new Intl.DateTimeFormat("en-US", { timeZone: TZ, weekday: "short" }).format(new Date()) === "Sun";
    if (sunday) await page.getByRole("button", { name: "Next" }).click();
    await weekEntry.waitFor();
    // To the neighbouring hour of the same (future) day: source and target are both on screen.
    const slot = weekEntry.locator("xpath=..");
    const [day, hour] = [await slot.getAttribute("data-day"), Number(await slot.getAttribute("data-hour"))];
    await weekEntry.dragTo(page.locator(`.cal-slot[data-day="${day}"][data-hour="${hour === 0 ? 1 : hour - 1}"]`));
    const status = page.getByRole("status").filter({ hasText: /Moved to|Could not|has passed/ });
    await status.waitFor();
    await expect(status.innerText()).resolves.toContain("Moved to");
    const moved = await page.evaluate(async (id) => ((await (await fetch(`/api/posts/${id}`)).json()) as { post: { scheduledAt: string } }).post.scheduledAt, tomorrowNoon.id);
    expect(new Date(moved).getTime()).toBeGreaterThan(Date.now());
    expect(moved).not.toBe(tomorrowNoon.scheduledAt);
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
    // A zero failure count is not shown in red.
    const failed = await page.locator('[data-count="failed"] b').evaluateAll((bs) => bs.map((b) => ({ n: b.textContent, colour: getComputedStyle(b).color })));
    const zeros = failed.filter((f) => f.n === "0");
    expect(zeros.length).toBeGreaterThan(0);
    for (const z of zeros) expect(z.colour).not.toBe("rgb(180, 35, 24)");
    await shot(page, "09-admin");
  });

  it("has a favicon, and a reconnect form unlike the connect form", async () => {
    await expect(page.locator('link[rel="icon"]').count()).resolves.toBeGreaterThan(0);
    const icon = await page.evaluate(async () => (await fetch(document.querySelector<HTMLLinkElement>('link[rel="icon"]')!.href)).status);
    expect(icon).toBe(200);
    await page.getByRole("link", { name: "Accounts" }).click();
    await page.locator(`li[data-account="${bsky.handle}"]`).getByRole("button", { name: "Reconnect" }).click();
    const form = page.getByRole("form", { name: `Reconnect @${bsky.handle}` });
    await form.getByRole("heading", { name: `Reconnect @${bsky.handle}` }).waitFor();
    await expect(form.getByLabel("New app password").count()).resolves.toBe(1);
    await expect(page.getByRole("form", { name: "Connect a Bluesky account" }).getByLabel(/^App password/).count()).resolves.toBe(1);
    await expect(page.evaluate(() => new Set([...document.querySelectorAll("[id]")].map((e) => e.id)).size === document.querySelectorAll("[id]").length)).resolves.toBe(true);
    await form.getByRole("button", { name: "Cancel" }).click();
  });

  it("reaches every tab at 390 px and pages the posts list past 100", async () => {
    const ctx = await browser.newContext({ timezoneId: TZ, viewport: { width: 390, height: 844 }, baseURL: base });
    const p = await ctx.newPage();
    await signIn(p, adminEmail);
    for (const name of ["Compose", "Posts", "Calendar", "Accounts", "Admin"]) {
      const box = await p.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x, name).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(390);
    }
    const total = await p.evaluate(async () => {
      const accounts = (await (await fetch("/api/accounts")).json()) as { accounts: Array<{ id: string }> };
      const at = Date.UTC(2031, 5, 1);
      for (let i = 0; i < 110; i++) {
        const res = await fetch("/api/posts", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text: `bulk ${i}`, accountIds: [accounts.accounts[0]!.id], scheduledAt: new Date(at + i * 60_000).toISOString() }),
        });
        if (res.status !== 201) throw new Error(`POST /api/posts answered ${res.status}`);
      }
      let n = 0;
      let cursor: string | null = null;
      do {
        const page = (await (await fetch(`/api/posts?limit=100${cursor ? `&cursor=${cursor}` : ""}`)).json()) as { posts: unknown[]; nextCursor: string | null };
        n += page.posts.length;
        cursor = page.nextCursor;
      } while (cursor);
      return n;
    });
    expect(total).toBeGreaterThan(110);
    await p.reload();
    const count = p.getByTestId("posts-count");
    await count.waitFor();
    while ((await p.getByRole("button", { name: /^Show \d+ more$/ }).count()) > 0) {
      const before = await count.innerText();
      await p.getByRole("button", { name: /^Show \d+ more$/ }).click();
      await p.waitForFunction((b) => document.querySelector('[data-testid="posts-count"]')?.textContent !== b, before, { timeout: 30_000 });
    }
    await expect(count.innerText()).resolves.toBe(`${total} posts shown (all)`);
    await ctx.close();
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
