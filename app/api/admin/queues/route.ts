import { getQueueOverview } from "@/app/lib/dashboard/queueOverview";
import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  return json(await getQueueOverview(ctx));
});
