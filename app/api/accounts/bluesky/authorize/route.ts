import { startBlueskyAuthorization } from "@/app/lib/accounts/blueskyOAuth";
import { blueskyAuthorizeBody } from "@/app/lib/accounts/schemas";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** The URL of the person's Bluesky server's sign-in page; the browser goes there next. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { handle } = await readJson(req, blueskyAuthorizeBody);
  await ctx.guards.accountConnect(user.id);
  return json({ authorizeUrl: await startBlueskyAuthorization(ctx, user.id, handle) });
});
