import { requireUser } from "@/app/lib/auth/authenticate";
import { clearedSessionCookie } from "@/app/lib/auth/cookies";
import { signOutEverywhere } from "@/app/lib/auth/sessions";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Ends every browser session of the caller (this one too). API tokens are revoked separately. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const endedSessions = await signOutEverywhere(ctx.database.db, user.id);
  return json({ endedSessions }, 200, { "set-cookie": clearedSessionCookie(ctx.config) });
});
