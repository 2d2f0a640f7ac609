import type { AppContext } from "../context";
import { deleteDeadApiTokens } from "../db/queries/apiTokens";
import { logger } from "../logger";
import { purgeExpiredRateLimits } from "./guards";
import { purgeExpiredSessions } from "./sessions";

/** The scheduled purge: rows that can never authenticate or throttle anyone again. */
export async function purgeExpiredAuth(ctx: AppContext, now = new Date()) {
  const result = {
    sessions: await purgeExpiredSessions(ctx, now),
    apiTokens: await deleteDeadApiTokens(ctx.database.db, now),
    rateLimits: await purgeExpiredRateLimits(ctx.database.pool, now.getTime()),
  };
  logger("auth-purge").info(result, "purged expired sessions, tokens and throttle counters");
  return result;
}
