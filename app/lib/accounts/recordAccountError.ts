import type { AppContext } from "../context";
import { setAccountError } from "../db/queries/accounts";

/** Notes a passing problem (network, rate limit) on the account without changing its status. */
export async function recordAccountError(ctx: AppContext, accountId: string, message: string): Promise<void> {
  await setAccountError(ctx.database.db, accountId, { message });
}
