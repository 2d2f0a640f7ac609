import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { retryFailedJob, retryFailedJobBody } from "@/app/lib/dashboard/failedJobs";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** POST /api/admin/jobs/retry `{"queue","jobId"}`: 202 `{"retried"}`. Admin only. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  const { queue, jobId } = await readJson(req, retryFailedJobBody);
  return json(await retryFailedJob(ctx, queue, jobId), 202);
});
