import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";
import { backupsOverview } from "@/app/lib/lifecycle/backupSchedule";

export const dynamic = "force-dynamic";

/** GET /api/admin/backups: `{"backups":[{name,createdAt,bytes,scheduled}],"schedule":{…}}`. Admin only. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  return json(backupsOverview(ctx.config));
});
