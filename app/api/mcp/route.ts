import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { currentUser } from "@/app/lib/auth/authenticate";
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
  const user = /^Bearer\s/i.test(req.headers.get("authorization") ?? "") ? await currentUser(ctx, req) : undefined;
  if (!user) throw new AppError("unauthenticated", "send Authorization: Bearer <api token>");
  const server = createMcpServer(ctx, user);
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
