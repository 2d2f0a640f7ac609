import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { listFailedJobs } from "@/app/lib/dashboard/failedJobs";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** GET /api/admin/jobs: the most recent failed jobs of every queue. Admin only. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  return json({ failed: await listFailedJobs(ctx) });
});
