/**
 * Why an outbound call was stopped by the guard. Messages name the host and the rule,
 * never anything the far side sent, so they are safe to show to the person who gave the URL.
 */
export type OutboundErrorReason = "refused" | "too_large" | "timeout" | "redirects" | "bad_url";

/**
 * Recognised by a registered symbol, not `instanceof`: Next.js bundles the instrumentation
 * entry (which builds the AppContext and its outbound layer) and each route separately, so
 * the class that threw and the class a route compares with can be two copies.
 */
const BRAND = Symbol.for("postmore.OutboundError");

export class OutboundError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly reason: OutboundErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OutboundError";
  }
}

function isOutboundError(e: unknown): e is OutboundError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** The OutboundError somewhere in `err`'s cause chain (fetch and XRPC clients wrap errors). */
export function findOutboundError(err: unknown): OutboundError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isOutboundError(e)) return e;
  }
  return undefined;
}
