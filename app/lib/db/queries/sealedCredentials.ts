import { asc, eq, ne } from "drizzle-orm";
import type { Db } from "../client";
import { socialAccounts } from "../schema";

/**
 * Every account's sealed credentials, locked until the caller's transaction ends (for
 * re-sealing). A disconnected account's credentials were erased (''): nothing to re-seal.
 */
export async function lockAllSealedCredentials(db: Db): Promise<Array<{ id: string; credentials: string }>> {
  return db
    .select({ id: socialAccounts.id, credentials: socialAccounts.credentials })
    .from(socialAccounts)
    .where(ne(socialAccounts.credentials, ""))
    .orderBy(asc(socialAccounts.id))
    .for("update");
}

export async function setSealedCredentials(db: Db, id: string, credentials: string): Promise<void> {
  await db.update(socialAccounts).set({ credentials }).where(eq(socialAccounts.id, id));
}
