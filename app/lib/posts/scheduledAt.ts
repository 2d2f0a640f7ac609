import { AppError } from "../errors";

/** How far in the past a requested time may lie and still mean "now" (clock skew, a slow form). */
export const PAST_TOLERANCE_MS = 5 * 60_000;

/**
 * The instant a create or update asks for. No time (on create) or `publishNow: true` means now;
 * a time more than five minutes ago is refused, so a stale form never publishes silently "now"
 * something the author meant for another day.
 */
export function requestedTime(body: { scheduledAt?: string; publishNow?: boolean }, now = new Date()): Date | undefined {
  if (body.publishNow && body.scheduledAt !== undefined) {
    throw new AppError("validation_failed", "send either scheduledAt or publishNow, not both");
  }
  if (body.publishNow) return now;
  if (body.scheduledAt === undefined) return undefined;
  const at = new Date(body.scheduledAt);
  if (at.getTime() < now.getTime() - PAST_TOLERANCE_MS) {
    throw new AppError(
      "scheduled_in_past",
      `scheduledAt ${body.scheduledAt} is more than 5 minutes in the past; choose a later time or send "publishNow": true`,
      { scheduledAt: body.scheduledAt, now: now.toISOString() },
    );
  }
  return at;
}
