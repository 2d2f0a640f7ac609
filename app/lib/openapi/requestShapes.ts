import { z } from "zod";

/** A JSON-RPC 2.0 message as MCP sends it; the MCP SDK validates the rest. */
export const jsonRpcMessage = z.looseObject({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
