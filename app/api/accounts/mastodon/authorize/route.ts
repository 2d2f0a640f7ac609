import { mastodonAuthorizeBody } from "@/app/lib/accounts/schemas";
import { mastodonCallbackUrl } from "@/app/lib/api/mastodon/callbackUrl";
import { startMastodonConnect } from "@/app/lib/api/mastodon/connect";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Starts connecting a Mastodon account: the browser goes to `authorizeUrl` to consent. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { instance } = await readJson(req, mastodonAuthorizeBody);
  await ctx.guards.accountConnect(user.id);
  return json(await startMastodonConnect(ctx, user.id, instance, mastodonCallbackUrl(ctx, req)));
});
