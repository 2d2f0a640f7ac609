import type { AppContext } from "../context";
import { listAccountsOfUser } from "../db/queries/accounts";
import { toPublicAccount, type PublicAccount } from "./publicAccount";

export async function listAccounts(ctx: AppContext, userId: string): Promise<PublicAccount[]> {
  const rows = await listAccountsOfUser(ctx.database.db, userId);
  return rows.map(toPublicAccount);
}
