import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { requireWriteScope, type Caller } from "../auth/authenticate";
import type { AppContext } from "../context";
import { errorBody, errorResponse } from "../http/respond";
import { checkArguments, mcpTools } from "./tools";

/**
 * An MCP server acting for one authenticated user. The low-level Server is used (not McpServer)
 * because McpServer validates arguments itself with its own messages; here the REST schemas do,
 * so an agent sees exactly the `{"error":{"code","message"}}` a REST client would.
 */
export function createMcpServer(ctx: AppContext, caller: Caller): Server {
  const server = new Server({ name: "postmore", version: "1.0.0" }, { capabilities: { tools: {} } });

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: mcpTools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const tool = mcpTools.find((t) => t.name === request.params.name);
    if (!tool) return toolError(errorBody("not_found", `no tool ${request.params.name}`));
    try {
      // The REST rule: a read-only token may only read.
      if (tool.writes) requireWriteScope(caller);
      const result = (await tool.run(ctx, caller.user, checkArguments(request.params.arguments))) as Record<string, unknown>;
      return { content: [{ type: "text", text: JSON.stringify(result) }], structuredContent: result };
    } catch (err) {
      // The REST error mapping, so codes and messages are the same on both surfaces.
      return toolError((await errorResponse(err).json()) as ReturnType<typeof errorBody>);
    }
  });

  return server;
}

function toolError(body: ReturnType<typeof errorBody>): CallToolResult {
  return { isError: true, content: [{ type: "text", text: JSON.stringify(body) }], structuredContent: body };
}
