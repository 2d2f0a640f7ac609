import { connectAccount } from "@/app/lib/accounts/connectAccount";
import { listAccounts } from "@/app/lib/accounts/listAccounts";
import { connectAccountBody as connectBody } from "@/app/lib/accounts/schemas";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ accounts: await listAccounts(ctx, user.id) });
});

export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const body = await readJson(req, connectBody);
  await ctx.guards.accountConnect(user.id);
  const { account, created, retriedDeliveries } = await connectAccount(ctx, user.id, body);
  // retriedDeliveries: posts that failed because the account needed reconnecting, publishing now.
  return json({ account, retriedDeliveries }, created ? 201 : 200);
});
