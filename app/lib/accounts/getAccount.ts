import type { AppContext } from "../context";
import { findAccountOfUser } from "../db/queries/accounts";
import { notFound } from "../errors";
import { assertAccountId, toPublicAccount, type PublicAccount } from "./publicAccount";

/** Another user's account is "not found", exactly like one that does not exist. */
export async function getAccount(ctx: AppContext, userId: string, accountId: string): Promise<PublicAccount> {
  assertAccountId(accountId);
  const row = await findAccountOfUser(ctx.database.db, userId, accountId);
  if (!row) throw notFound("account");
  return toPublicAccount(row);
}
