import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { getWorkers } from "@/app/lib/dashboard/workers";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** GET /api/admin/workers: `{"queues":{"posts":n,…},"alive"}` — workers connected right now. Admin only. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  return json(await getWorkers(ctx));
});
