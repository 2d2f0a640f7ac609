import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { currentCaller } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { AppError } from "@/app/lib/errors";
import { MAX_BODY_BYTES } from "@/app/lib/http/body";
import { route } from "@/app/lib/http/respond";
import { createMcpServer } from "@/app/lib/mcp/server";

export const dynamic = "force-dynamic";

/**
 * POST /api/mcp: the MCP server over streamable HTTP, stateless (a server per request, JSON
 * answers, no sessions). Only a bearer API token is accepted: a browser's session cookie must
 * not let another site drive the tools.
 */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  // Every MCP message is a POST: a read-only token may connect, and each tool checks the scope it needs.
  const caller = /^Bearer\s/i.test(req.headers.get("authorization") ?? "") ? await currentCaller(ctx, req) : undefined;
  if (!caller) throw new AppError("unauthenticated", "send Authorization: Bearer <api token>");
  const server = createMcpServer(ctx, caller);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    // The REST routes' body limit (readJson), so a tool call cannot carry more than a POST could.
    maxRequestBodySize: MAX_BODY_BYTES,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(req);
  } finally {
    await server.close();
  }
});
