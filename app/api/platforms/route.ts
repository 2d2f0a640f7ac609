import { platformDescriptors } from "@/app/lib/api/services/apiManager";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Every platform's limits and features, as the composer reads them (no copies in the UI). */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  await requireUser(ctx, req);
  return json({ platforms: platformDescriptors(ctx) });
});
