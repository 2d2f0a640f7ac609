import { z } from "zod";

/**
 * Request shapes whose parsing schema is private to a route file we do not own yet.
 * signInBody mirrors app/api/auth/signin/route.ts (move it there once the auth work lands).
 */
export const signInBody = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) });

/** A JSON-RPC 2.0 message as MCP sends it; the MCP SDK validates the rest. */
export const jsonRpcMessage = z.looseObject({
  jsonrpc: z.literal("2.0"),
  id: z.union([z.string(), z.number()]).optional(),
  method: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
