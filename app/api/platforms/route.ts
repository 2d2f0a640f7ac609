import { listPlatformLimits } from "@/app/lib/accounts/listAccounts";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Every platform's limits and features, and each account's own, as the composer reads them (no copies in the UI). */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json(await listPlatformLimits(ctx, user.id));
});
