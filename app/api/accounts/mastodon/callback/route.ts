import { mastodonCallbackQuery } from "@/app/lib/accounts/schemas";
import { browserOrigin, mastodonCallbackUrl } from "@/app/lib/api/mastodon/callbackUrl";
import { finishMastodonConnect } from "@/app/lib/api/mastodon/connect";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** The instance sends the browser here after consent; the account is stored and the browser goes to /accounts. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const query = mastodonCallbackQuery.parse(Object.fromEntries(new URL(req.url).searchParams));
  await finishMastodonConnect(ctx, user.id, query, mastodonCallbackUrl(ctx, req));
  return new Response(null, { status: 303, headers: { location: new URL("/accounts", browserOrigin(ctx, req)).toString() } });
});
