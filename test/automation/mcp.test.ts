import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@/test/helpers/postsApi";
import { startStack, type Stack } from "./stack";

/**
 * An MCP client from the SDK drives PostMore over both transports: stdio (`npm run --silent mcp`)
 * and streamable HTTP (/api/mcp on the built app). Posts it schedules publish once on the real PDS.
 */
const root = path.resolve(import.meta.dirname, "../..");

type ToolResult = { isError?: boolean; structuredContent?: Record<string, unknown> };
type PostOut = { id: string; status: string; scheduledAt: string };

describe("MCP server", () => {
  let stack: Stack;
  const clients: Client[] = [];

  beforeAll(async () => {
    stack = await startStack({ role: "user", worker: true });
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await stack?.close();
  });

  const httpTransport = (token: string | null) =>
    new StreamableHTTPClientTransport(new URL(`${stack.url}/api/mcp`), {
      requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
    });

  /** `npm run --silent mcp`, the token given as `--token` or in POSTMORE_API_TOKEN. */
  const stdioTransport = (token: string, via: "arg" | "env") =>
    new StdioClientTransport({
      command: "npm",
      args: ["run", "--silent", "mcp", ...(via === "arg" ? ["--", "--token", token] : [])],
      cwd: root,
      // LOG_LEVEL info: the server logs on start, which must go to stderr and leave stdout to JSON-RPC.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "test", ...stack.env, LOG_LEVEL: "info", ...(via === "env" ? { POSTMORE_API_TOKEN: token } : {}) },
      stderr: "pipe",
    });

  // What the client could not read (e.g. a log line on stdio's stdout) arrives here.
  const protocolErrors: string[] = [];

  async function connected(transport: Transport): Promise<Client> {
    const client = new Client({ name: "postmore-test", version: "1.0.0" });
    client.onerror = (err) => protocolErrors.push(err.message);
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  const callTool = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as ToolResult;

  /** Live `scripts/mcp.ts` processes started for this suite (found by its database URL in their environment). */
  function mcpProcesses(): number[] {
    return readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((pid) => {
        try {
          return (
            readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("scripts/mcp.ts") &&
            readFileSync(`/proc/${pid}/environ`, "utf8").includes(stack.env.DATABASE_URL!)
          );
        } catch {
          return false; // gone meanwhile, or not ours to read
        }
      })
      .map(Number);
  }

  const postCount = async () => (await stack.t.ctx.database.pool.query("select count(*)::int as n from posts")).rows[0].n as number;

  async function publishedOnce(postId: string, text: string) {
    await waitFor(
      `post ${postId} published`,
      async () => {
        const r = await stack.t.ctx.database.pool.query("select status from deliveries where post_id = $1", [postId]);
        return r.rows.length === 1 && r.rows[0].status === "published";
      },
      90_000,
      250,
    );
    const records = (await stack.pds.listPosts(stack.user.account.did)).filter((r) => r.value.text === text);
    expect(records).toHaveLength(1);
  }

  for (const kind of ["http", "stdio"] as const) {
    it(`schedules a post over ${kind} with the same tools and it publishes exactly once on the PDS`, async () => {
      const client = await connected(kind === "http" ? httpTransport(stack.user.token) : stdioTransport(stack.user.token, "arg"));
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(
        ["cancel_post", "get_post", "list_accounts", "list_posts", "reschedule_post", "schedule_post"],
      );

      const accounts = await callTool(client, "list_accounts");
      expect(accounts.isError).toBeFalsy();
      expect(accounts.structuredContent).toMatchObject({ accounts: [{ id: stack.user.accountId, status: "active" }] });

      // Scheduled a day ahead, then moved to now through reschedule_post: the moved job publishes once.
      const text = `from an agent over ${kind} ${Date.now()}`;
      const scheduled = await callTool(client, "schedule_post", {
        text,
        accountIds: [stack.user.accountId],
        scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
        timeZone: "Europe/Berlin",
      });
      expect(scheduled.isError).toBeFalsy();
      const post = scheduled.structuredContent!.post as PostOut;
      expect(post.status).toBe("scheduled");

      const moved = await callTool(client, "reschedule_post", { id: post.id, publishNow: true });
      expect(moved.isError, JSON.stringify(moved.structuredContent)).toBeFalsy();
      await publishedOnce(post.id, text);

      const got = await callTool(client, "get_post", { id: post.id });
      expect(got.structuredContent).toMatchObject({ post: { id: post.id, status: "published" } });
      const listed = await callTool(client, "list_posts", { status: "published" });
      expect((listed.structuredContent!.posts as PostOut[]).map((p) => p.id)).toContain(post.id);

      // A second post cancelled before its time never publishes.
      const later = await callTool(client, "schedule_post", { text: `${text} (cancelled)`, accountIds: [stack.user.accountId], scheduledAt: new Date(Date.now() + 86_400_000).toISOString() });
      const laterId = (later.structuredContent!.post as PostOut).id;
      const cancelled = await callTool(client, "cancel_post", { id: laterId });
      expect(cancelled.structuredContent).toMatchObject({ post: { id: laterId, status: "cancelled" } });
      expect(protocolErrors).toEqual([]);

      // Closing the client ends the server process (it must not linger holding connections).
      await client.close();
      if (kind === "stdio") await waitFor("the stdio server to exit", async () => mcpProcesses().length === 0, 30_000, 200);
    }, 180_000);
  }

  it("answers bad input with a tool error carrying the REST API's code and message, and stores nothing", async () => {
    const client = await connected(httpTransport(stack.user.token));
    const bad = { text: "no accounts", accountIds: [], scheduledAt: "tomorrow at nine" };
    const before = await postCount();

    const result = await callTool(client, "schedule_post", bad);
    expect(result.isError).toBe(true);
    const rest = await fetch(`${stack.url}/api/posts`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.user.token}`, "content-type": "application/json" },
      body: JSON.stringify(bad),
    });
    expect(rest.status).toBe(400);
    expect(result.structuredContent).toEqual(await rest.json());
    expect(result.structuredContent).toMatchObject({ error: { code: "validation_failed" } });

    const past = await callTool(client, "schedule_post", { text: "too late", accountIds: [stack.user.accountId], scheduledAt: "2020-01-01T00:00:00Z" });
    expect(past).toMatchObject({ isError: true, structuredContent: { error: { code: "scheduled_in_past" } } });
    const unknown = await callTool(client, "get_post", { id: "00000000-0000-4000-8000-000000000000" });
    expect(unknown).toMatchObject({ isError: true, structuredContent: { error: { code: "not_found", message: "post not found" } } });
    expect(await postCount()).toBe(before);
  }, 60_000);

  it("refuses a request without a valid API token on both transports", async () => {
    for (const authorization of [undefined, "Bearer pmt_not-a-real-token"]) {
      const res = await fetch(`${stack.url}/api/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "unauthenticated" } });
    }
    await expect(new Client({ name: "anon", version: "1" }).connect(httpTransport(null))).rejects.toThrow();
    // stdio: a good token in POSTMORE_API_TOKEN is accepted, a bad one ends the process with a message.
    const good = await connected(stdioTransport(stack.user.token, "env"));
    expect((await good.listTools()).tools).toHaveLength(6);
    const bad = stdioTransport("pmt_not-a-real-token", "env");
    let stderr = "";
    bad.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    await expect(new Client({ name: "anon", version: "1" }).connect(bad)).rejects.toThrow();
    await waitFor("the refusal on stderr", async () => stderr.includes("the API token is unknown or revoked"), 30_000);
  }, 60_000);
});
