import { getAppContext } from "@/app/lib/context";
import { checkHealth } from "@/app/lib/health";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = route(async () => {
  const health = await checkHealth(getAppContext());
  return json(health, health.status === "ok" ? 200 : 503);
});
