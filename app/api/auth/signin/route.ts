import { sessionCookie } from "@/app/lib/auth/cookies";
import { signInBody } from "@/app/lib/auth/schemas";
import { signIn } from "@/app/lib/auth/sessions";
import { getAppContext } from "@/app/lib/context";
import { clientAddress, requireSameOrigin } from "@/app/lib/http/origin";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = route(async (req) => {
  const ctx = getAppContext();
  // Login CSRF: another site must not sign a visitor into an account of its choosing.
  requireSameOrigin(req, ctx.config.security.publicUrl);
  const { email, password } = await readJson(req, signInBody);
  const { user, sessionToken, expiresAt } = await signIn(ctx, { email, password, address: clientAddress(req) });
  return json({ user }, 200, { "set-cookie": sessionCookie(ctx.config, req, sessionToken, expiresAt) });
});
