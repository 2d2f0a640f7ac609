import type { AppContext } from "../context";
import { deleteDeadApiTokens } from "../db/queries/apiTokens";
import { deleteExpiredIdempotencyKeys } from "../db/queries/idempotencyKeys";
import { IDEMPOTENCY_TTL_MS } from "../http/idempotency";
import { logger } from "../logger";
import { purgeExpiredRateLimits } from "./guards";
import { purgeExpiredSessions } from "./sessions";

/** The scheduled purge: rows that can never authenticate or throttle anyone again. */
export async function purgeExpiredAuth(ctx: AppContext, now = new Date()) {
  const result = {
    sessions: await purgeExpiredSessions(ctx, now),
    apiTokens: await deleteDeadApiTokens(ctx.database.db, now),
    rateLimits: await purgeExpiredRateLimits(ctx.database.pool, now.getTime()),
    idempotencyKeys: await deleteExpiredIdempotencyKeys(ctx.database.db, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)),
  };
  logger("auth-purge").info(result, "purged expired sessions, tokens, throttle counters and idempotency keys");
  return result;
}
