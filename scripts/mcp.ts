import "./lib/logsToStderr";
import { parseArgs } from "node:util";

/**
 * `npm run --silent mcp`: the MCP server on stdin/stdout for one user, named by an API token
 * (`--token pmt_…` or POSTMORE_API_TOKEN). Same config as the worker (DATABASE_URL, queue settings).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { token: { type: "string" } } });
  const token = values.token ?? process.env.POSTMORE_API_TOKEN;
  if (!token) {
    console.error("an API token is required: --token pmt_… or POSTMORE_API_TOKEN (npm run cli -- create-token --email E)");
    process.exit(2);
  }
  // Imported only now: the build splits shared code into chunks, and a static import's chunk
  // (the logger's among them) runs before this file's first line, so pino would bind stdout.
  const [{ StdioServerTransport }, { logger }, { userForApiToken }, { createMcpServer }, { getPostQueue }, { initApp }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("@/app/lib/logger"),
    import("@/app/lib/mcp/auth"),
    import("@/app/lib/mcp/server"),
    import("@/app/lib/queues/postQueue"),
    import("@/app/lib/startup"),
  ]);
  const ctx = initApp();
  const caller = await userForApiToken(ctx, token);
  if (!caller) {
    console.error("the API token is unknown or revoked");
    await ctx.database.close();
    process.exit(1);
  }
  const server = createMcpServer(ctx, caller);
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    void Promise.allSettled([server.close(), getPostQueue(ctx).close(), ctx.database.close()]).then(() => process.exit(0));
  };
  server.onclose = shutdown;
  // The SDK's stdio transport does not watch for the end of stdin: the client closing it (or
  // the signals a client sends next) must end this process, or it lingers holding connections.
  process.stdin.once("end", shutdown);
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  await server.connect(new StdioServerTransport());
  logger("mcp").info({ userId: caller.user.id }, "MCP server on stdio");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
