import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { getActivity } from "@/app/lib/dashboard/activity";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** GET /api/admin/activity: publish attempts per hour over the last 12 hours (published, retried, failed). Admin only. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  return json(await getActivity(ctx));
});
