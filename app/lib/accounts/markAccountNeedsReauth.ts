import type { AppContext } from "../context";
import { setAccountError } from "../db/queries/accounts";
import { logger } from "../logger";

const log = logger("accounts");

/** Neither token nor app password works any more: the person must reconnect. `reason` is shown to them. */
export async function markAccountNeedsReauth(ctx: AppContext, accountId: string, reason: string): Promise<void> {
  await setAccountError(ctx.database.db, accountId, { message: reason, status: "needs_reauth" });
  log.warn({ accountId, reason }, "account needs reconnecting");
}
