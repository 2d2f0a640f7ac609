import { sessionTokenOf } from "@/app/lib/auth/authenticate";
import { clearedSessionCookie } from "@/app/lib/auth/cookies";
import { signOut } from "@/app/lib/auth/sessions";
import { getAppContext } from "@/app/lib/context";
import { requireSameOrigin } from "@/app/lib/http/origin";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = route(async (req) => {
  const ctx = getAppContext();
  requireSameOrigin(req, ctx.config.security.publicUrl);
  const token = sessionTokenOf(ctx, req);
  if (token) await signOut(ctx.database.db, token);
  return json({ signedOut: true }, 200, { "set-cookie": clearedSessionCookie(ctx.config) });
});
