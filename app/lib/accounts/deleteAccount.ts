import type { AppContext } from "../context";
import { disconnectAccountOfUser } from "../db/queries/accounts";
import { AppError, notFound } from "../errors";
import { logger } from "../logger";
import { removeDeliveryJobs } from "../posts/enqueueDeliveries";
import { assertAccountId } from "./publicAccount";

const log = logger("accounts");

/**
 * DELETE /api/accounts/:id disconnects the account: its scheduled deliveries are cancelled
 * and their jobs removed, its credentials erased; what it published stays listed with its
 * handle. While one of its deliveries is being published this answers 409 (nothing changed).
 */
export async function deleteAccount(ctx: AppContext, userId: string, accountId: string): Promise<void> {
  assertAccountId(accountId);
  const outcome = await disconnectAccountOfUser(ctx.database.db, userId, accountId);
  if (outcome.kind === "not_found") throw notFound("account");
  if (outcome.kind === "busy") {
    throw new AppError("conflict", "a post is being published with this account right now; try again in a moment");
  }
  // After the commit: a job that fires meanwhile finds its delivery cancelled and does nothing.
  if (outcome.cancelled.length > 0) await removeDeliveryJobs(ctx, outcome.cancelled.map((d) => d.id));
  log.info({ accountId, userId, cancelled: outcome.cancelled.length }, "account disconnected");
}
