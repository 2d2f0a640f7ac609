import type { AppContext } from "../context";
import { deleteAccountOfUser } from "../db/queries/accounts";
import { notFound } from "../errors";
import { logger } from "../logger";
import { assertAccountId } from "./publicAccount";

const log = logger("accounts");

/**
 * Deletes the account and, by cascade, its deliveries. Queued jobs of those deliveries
 * are not removed here: a job whose delivery row is gone must find nothing to do.
 * (A caller that wants the jobs gone first can cancel them, then call this.)
 */
export async function deleteAccount(ctx: AppContext, userId: string, accountId: string): Promise<void> {
  assertAccountId(accountId);
  const deleted = await deleteAccountOfUser(ctx.database.db, userId, accountId);
  if (!deleted) throw notFound("account");
  log.info({ accountId, userId }, "account deleted");
}
