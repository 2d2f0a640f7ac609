import { triggerTokenRefresh, triggerTokenRefreshBody } from "@/app/lib/dashboard/triggerTokenRefresh";
import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** `{}` → refresh every Bluesky account; `{"accountId"}` → that account. 202 with the job id. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  await requireAdmin(ctx, req);
  const body = await readJson(req, triggerTokenRefreshBody);
  return json(await triggerTokenRefresh(ctx, body), 202);
});
