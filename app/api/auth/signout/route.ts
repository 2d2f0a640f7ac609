import { readCookie } from "@/app/lib/auth/authenticate";
import { clearedSessionCookie } from "@/app/lib/auth/cookies";
import { SESSION_COOKIE, signOut } from "@/app/lib/auth/sessions";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const POST = route(async (req) => {
  const token = readCookie(req, SESSION_COOKIE);
  if (token) await signOut(getAppContext().database.db, token);
  return json({ signedOut: true }, 200, { "set-cookie": clearedSessionCookie() });
});
