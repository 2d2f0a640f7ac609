import { toPublicAccount, type PublicAccount } from "../accounts/publicAccount";
import type { AppContext } from "../context";
import { listAllAccounts } from "../db/queries/dashboard";

/** Every account (any owner), needing re-auth first: what the admin can refresh. */
export async function listAccountsForAdmin(ctx: AppContext): Promise<Array<PublicAccount & { ownerEmail: string }>> {
  const rows = await listAllAccounts(ctx.database.db);
  return rows.map((r) => ({ ...toPublicAccount(r), ownerEmail: r.ownerEmail }));
}
