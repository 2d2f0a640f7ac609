import { z } from "zod";
import type { AppContext } from "../context";
import { findAccountRefreshState } from "../db/queries/accountRefresh";
import { notFound } from "../errors";
import { queueCall } from "../queues/queueCall";
import { refreshAccountTokens, refreshAllBlueskyTokens } from "../queues/tokenRefreshQueue";

/** POST /api/admin/refresh-tokens: `{}` refreshes every account, `{"accountId"}` one. Unknown fields are refused. */
export const triggerTokenRefreshBody = z.strictObject({ accountId: z.uuid().optional() });
export type TriggerTokenRefreshInput = z.infer<typeof triggerTokenRefreshBody>;

/**
 * Queues the refresh and returns its job id. Asking again while one is waiting returns
 * the same job (the queue de-duplicates), so repeated clicks queue nothing more.
 */
export async function triggerTokenRefresh(ctx: AppContext, input: TriggerTokenRefreshInput): Promise<{ jobId: string }> {
  if (input.accountId === undefined) return queueCall("queueing the refresh", () => refreshAllBlueskyTokens(ctx));
  const accountId = input.accountId;
  const account = await findAccountRefreshState(ctx.database.db, accountId);
  if (!account) throw notFound("account");
  return queueCall("queueing the refresh", () => refreshAccountTokens(ctx, accountId));
}
