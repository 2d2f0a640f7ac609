import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { PlatformError } from "../api/platformErrors";

/**
 * The one place a failed publish becomes queue behaviour. The platform service already
 * classified the failure (platformErrors.ts); here each class gets its BullMQ meaning:
 *
 *   transient (network, 5xx), unknown   → throw: BullMQ retries with exponential backoff
 *   rate_limited (429)                  → move the job to delayed until the reset: no attempt spent
 *   auth                                → (handled before this: refresh the session, publish again)
 *                                         still refused → retry like a transient failure
 *   permanent, account_gone, reauth     → UnrecoverableError: fail now, with a message for a person
 */

export type FailureAction =
  | { kind: "retry"; message: string }
  | { kind: "wait"; message: string; retryAfterMs: number }
  | { kind: "fail"; message: string; account?: "gone" | "reauth" };

export function classifyFailure(err: unknown): FailureAction {
  if (err instanceof PlatformError) {
    switch (err.kind) {
      case "transient":
      case "auth":
        return { kind: "retry", message: err.message };
      case "rate_limited":
        return { kind: "wait", message: err.message, retryAfterMs: (err as PlatformError & { retryAfterMs: number }).retryAfterMs };
      case "permanent":
        return { kind: "fail", message: err.message };
      case "account_gone":
        return { kind: "fail", message: err.message, account: "gone" };
      case "reauth_required":
        return { kind: "fail", message: err.message, account: "reauth" };
    }
  }
  // Raised by the worker itself for a "fail now" it found (an account that must be reconnected).
  if (err instanceof UnrecoverableError) return { kind: "fail", message: err.message };
  // Our own faults (database blip, a bug) are retried: the delivery row says where we are.
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "retry", message: `unexpected error: ${message}` };
}

/** Is this the job's last attempt (so a retryable failure must settle the delivery as failed)? */
export function isFinalAttempt(job: Job | undefined): boolean {
  if (!job) return false;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Rate limited: park the job until the limit resets. Throwing DelayedError tells the worker the job moved. */
export async function waitForRateLimit(job: Job, token: string | undefined, retryAfterMs: number): Promise<never> {
  // A little jitter so every job held by the same limit does not wake in the same millisecond.
  const jitter = Math.floor(Math.random() * 1000);
  await job.moveToDelayed(Date.now() + Math.max(0, retryAfterMs) + jitter, token);
  throw new DelayedError();
}

/** Re-delay a job that fired before its (rescheduled) time. */
export async function delayUntil(job: Job, token: string | undefined, at: Date): Promise<never> {
  await job.moveToDelayed(at.getTime(), token);
  throw new DelayedError();
}

export function unrecoverable(message: string): UnrecoverableError {
  return new UnrecoverableError(message);
}
