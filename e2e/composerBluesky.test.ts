import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { createUser } from "@/app/lib/auth/users";
import { freePort } from "@/test/helpers/freePort";
import { tinyMp4, tinyVtt } from "@/test/helpers/mp4";
import { startTestPds, type TestAccount, type TestPds } from "@/test/helpers/pds";
import { waitFor } from "@/test/helpers/postsApi";
import { createTestContext, LOOPBACK_ALLOWLIST, type TestContext } from "@/test/helpers/testContext";
import { ensureBuild, launchChromium, signIn, startWeb, startWorker, waitForHealth, type Proc } from "./servers";

/**
 * The composer's Bluesky options and live preview (issue 16 items 6 and 9) in a real browser,
 * against the production build, a worker process and the local PDS.
 */
const PASSWORD = "correct horse battery staple";

describe("composer: Bluesky options and live preview", () => {
  let tc: TestContext;
  let pds: TestPds;
  let bsky: TestAccount;
  let web: Proc;
  let worker: Proc;
  let browser: Browser;
  let page: Page;
  const email = `rich-${randomBytes(3).toString("hex")}@example.test`;

  beforeAll(async () => {
    await ensureBuild((l) => console.log(l));
    pds = await startTestPds();
    tc = await createTestContext("postgres", { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url });
    const user = await createUser(tc.ctx.database.db, { email, password: PASSWORD, role: "user" });
    bsky = await pds.createAccount("rich");
    await connectAccount(tc.ctx, user.id, { platform: "bluesky", identifier: bsky.handle, appPassword: bsky.appPassword, service: pds.url });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: tc.databaseUrl,
      POSTMORE_SECRET: tc.secret,
      QUEUE_BACKEND: "postgres",
      ATPROTO_PLC_URL: pds.plcUrl,
      ATPROTO_HANDLE_RESOLVER_URL: pds.url,
      ATPROTO_TIMEOUT_MS: "5000",
      OUTBOUND_ALLOWLIST: LOOPBACK_ALLOWLIST,
      // branch video: videos straight to the local PDS (the video service cannot be reached offline).
      BLUESKY_VIDEO_SERVICE_URL: "",
    };
    const port = await freePort();
    web = startWeb(port, { ...env, PORT: String(port) });
    worker = startWorker(env);
    await waitForHealth(`http://127.0.0.1:${port}`, web);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: `http://127.0.0.1:${port}` });
    // The languages chosen for the previous post, as the composer saved them.
    await context.addInitScript(() => {
      if (!window.localStorage.getItem("postmore.composer.langs.v1")) window.localStorage.setItem("postmore.composer.langs.v1", JSON.stringify(["de"]));
    });
    page = await context.newPage();
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled([web?.stop(), worker?.stop()]);
    await tc?.close();
    await pds?.close();
  }, 60_000);

  it("defaults the languages to the last choice, previews facets, card, warning and reply control, and publishes them", async () => {
    await signIn(page, email, PASSWORD);
    await page.goto("/compose");

    const languages = page.getByRole("group", { name: "Languages" });
    await expect(languages.getByRole("checkbox", { name: "German" }).isChecked()).resolves.toBe(true);
    await languages.getByRole("checkbox", { name: "French" }).check();
    await languages.getByRole("checkbox", { name: "Spanish" }).check();
    // Three is the most Bluesky takes: the rest are disabled.
    await expect(languages.getByRole("checkbox", { name: "Italian" }).isDisabled()).resolves.toBe(true);

    const text = `Guten Tag https://example.com/garden #spring`;
    await page.getByRole("textbox", { name: "Post text" }).fill(text);
    await page.getByRole("group", { name: "Content warnings" }).getByRole("checkbox", { name: "Nudity" }).check();
    await page.getByLabel("Who can reply").selectOption("nobody");

    const preview = page.getByRole("region", { name: "Preview on Bluesky" });
    await expect(preview.locator(".preview-text .link").innerText()).resolves.toBe("https://example.com/garden");
    await expect(preview.locator(".preview-text .tag").innerText()).resolves.toBe("#spring");
    await expect(preview.getByLabel("Link card").innerText()).resolves.toContain("example.com");
    await expect(preview.getByRole("note").innerText()).resolves.toBe("Content warning: Nudity");
    await expect(preview.innerText()).resolves.toContain("Nobody can reply");
    await expect(preview.innerText()).resolves.toContain("Languages: de, fr, es");

    await page.getByRole("radio", { name: "Post now" }).check();
    await page.getByRole("button", { name: "Post now" }).click();
    await page.getByRole("status").filter({ hasText: /On its way|Scheduled/ }).waitFor();

    const record = await waitFor("the post on the PDS", async () => (await pds.listPosts(bsky.did)).find((r) => r.value.text === text), 60_000);
    expect(record.value.langs).toEqual(["de", "fr", "es"]);
    expect(record.value.labels).toEqual({ $type: "com.atproto.label.defs#selfLabels", values: [{ val: "nudity" }] });
    const gates = await pds.listPosts(bsky.did, "app.bsky.feed.threadgate");
    expect(gates.map((g) => g.uri.split("/").pop())).toEqual([record.uri.split("/").pop()]);
    // The next post starts from these languages.
    await expect(page.evaluate(() => window.localStorage.getItem("postmore.composer.langs.v1"))).resolves.toBe(JSON.stringify(["de", "fr", "es"]));
  }, 180_000);

  it("takes a video with alt text and captions, previews it, and publishes an app.bsky.embed.video (branch video)", async () => {
    await page.goto("/compose");
    const text = `A short clip ${randomBytes(2).toString("hex")}`;
    await page.getByRole("textbox", { name: "Post text" }).fill(text);
    await page.getByLabel("Add a video to Post text").setInputFiles({ name: "clip.mp4", mimeType: "video/mp4", buffer: tinyMp4({ seed: 7 }) });
    await page.getByText("Video: clip.mp4").waitFor();
    await page.getByLabel("Video alt text (required)").fill("A cat jumps onto a table");
    await page.getByLabel("Add captions to Post text").setInputFiles({ name: "clip.vtt", mimeType: "text/vtt", buffer: tinyVtt() });
    await page.getByRole("button", { name: "Captions: clip.vtt", exact: true }).waitFor();
    // One video per post, not with images (Bluesky's rule): the image button is off.
    await expect(page.getByRole("button", { name: /Add image/ }).isDisabled()).resolves.toBe(true);

    const preview = page.getByRole("region", { name: "Preview on Bluesky" });
    await expect(preview.getByRole("img", { name: "Video: A cat jumps onto a table" }).innerText()).resolves.toContain("captions (en)");

    await page.getByRole("radio", { name: "Post now" }).check();
    await page.getByRole("button", { name: "Post now" }).click();
    await page.getByRole("status").filter({ hasText: /On its way|Scheduled/ }).waitFor();
    const record = await waitFor("the video post on the PDS", async () => (await pds.listPosts(bsky.did)).find((r) => r.value.text === text), 60_000);
    const embed = record.value.embed as { $type: string; alt: string; captions: Array<{ lang: string }> };
    expect(embed.$type).toBe("app.bsky.embed.video");
    expect(embed.alt).toBe("A cat jumps onto a table");
    expect(embed.captions.map((c) => c.lang)).toEqual(["en"]);
  }, 180_000);
});
