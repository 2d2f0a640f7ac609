import type { Browser, Page } from "playwright-core";
import { launchChromium, signIn } from "@/e2e/servers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/app/lib/auth/users";
import { createTestContext, type TestContext } from "@/test/helpers/testContext";
import { startWebApps, type WebApp } from "./webApp";

/**
 * The settings page in Chromium against the production build: tokens and password from the
 * UI, under the nonce CSP (a blocked script would leave the page dead and log a violation).
 */
const email = "settings@example.test";
const password = "correct horse battery";

describe("settings page in a real browser", () => {
  let t: TestContext;
  let web: WebApp;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    t = await createTestContext("postgres");
    await createUser(t.ctx.database.db, { email, password, role: "user" });
    [web] = (await startWebApps(t, [{}])) as [WebApp];
    browser = await launchChromium();
    page = await (await browser.newContext({ baseURL: web.url })).newPage();
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await web?.proc.stop();
    await t?.close();
  });

  it("creates a token (shown once), lists and revokes it, changes the password, with no CSP violation", async () => {
    await signIn(page, email, password);

    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL("**/settings");
    await page.getByLabel("Name").fill("from the browser");
    await page.getByRole("button", { name: "Create token" }).click();
    const shown = await page.getByTestId("new-token").textContent();
    expect(shown).toMatch(/^pmt_/);
    expect((await fetch(`${web.url}/api/me`, { headers: { authorization: `Bearer ${shown}` } })).status).toBe(200);
    const list = page.getByRole("list", { name: "API tokens" });
    await list.getByText("from the browser").waitFor();

    await list.getByRole("button", { name: "Revoke" }).click();
    await list.getByText("from the browser").waitFor({ state: "detached" });
    expect((await fetch(`${web.url}/api/me`, { headers: { authorization: `Bearer ${shown}` } })).status).toBe(401);

    // Branch idem: a read-only token, chosen in the form, listed with its scope, refused on writes.
    await page.getByLabel("Name").fill("read only script");
    await page.getByLabel("Access").selectOption("read");
    await page.getByRole("button", { name: "Create token" }).click();
    await list.getByText("read only script").waitFor();
    const readToken = await page.getByTestId("new-token").textContent();
    expect(readToken).not.toBe(shown);
    await list.locator("li", { hasText: "read only script" }).getByText("read only", { exact: true }).waitFor();
    const auth = { authorization: `Bearer ${readToken}` };
    expect((await fetch(`${web.url}/api/me`, { headers: auth })).status).toBe(200);
    const write = await fetch(`${web.url}/api/tokens`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: '{"name":"escalate"}' });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { error: { code: string } }).error.code).toBe("insufficient_scope");

    await page.getByLabel("Current password").fill(password);
    await page.getByLabel("New password").fill("a new long password");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed.").waitFor();
    const rows = await t.ctx.database.pool.query("select count(*)::int as n from sessions");
    expect(rows.rows[0].n).toBe(1); // this browser's session stays

    await page.getByRole("button", { name: "Sign out everywhere" }).click();
    await page.waitForURL("**/signin");
    expect((await t.ctx.database.pool.query("select count(*)::int as n from sessions")).rows[0].n).toBe(0);
    expect(violations).toEqual([]);
  });
});
