/**
 * Why an outbound call was stopped by the guard. Messages name the host and the rule,
 * never anything the far side sent, so they are safe to show to the person who gave the URL.
 */
export type OutboundErrorReason = "refused" | "too_large" | "timeout" | "redirects" | "bad_url";

export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OutboundError";
  }
}

/** The OutboundError somewhere in `err`'s cause chain (fetch and XRPC clients wrap errors). */
export function findOutboundError(err: unknown): OutboundError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof OutboundError) return e;
  }
  return undefined;
}
