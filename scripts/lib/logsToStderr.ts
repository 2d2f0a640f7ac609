/**
 * Imported first by scripts/mcp.ts: on stdio, stdout carries only JSON-RPC, so the pino logger
 * (which writes to `process.stdout.fd`, read when the logger is created) is pointed at stderr.
 * process.stdout itself still writes to fd 1, which is what the MCP transport uses.
 */
(process.stdout as unknown as { fd: number }).fd = 2;
