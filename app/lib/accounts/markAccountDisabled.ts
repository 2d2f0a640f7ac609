import type { AppContext } from "../context";
import { setAccountError } from "../db/queries/accounts";
import { logger } from "../logger";

const log = logger("accounts");

/** The platform says the account is gone (deleted, deactivated, taken down): stop using it. */
export async function markAccountDisabled(ctx: AppContext, accountId: string, reason: string): Promise<void> {
  await setAccountError(ctx.database.db, accountId, { message: reason, status: "disabled" });
  log.warn({ accountId, reason }, "account disabled");
}
