import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { listAccountsForAdmin } from "@/app/lib/dashboard/adminAccounts";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** GET /api/admin/accounts: every user's accounts, those needing re-auth first. Admin only. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  return json({ accounts: await listAccountsForAdmin(ctx) });
});
