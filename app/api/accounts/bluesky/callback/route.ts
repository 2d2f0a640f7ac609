import { completeBlueskyAuthorization } from "@/app/lib/accounts/blueskyOAuth";
import { callbackUrl } from "@/app/lib/api/bluesky/oauth/metadata";
import { currentUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { AppError } from "@/app/lib/errors";
import { route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/**
 * Where the Bluesky server sends the browser back. Public (the browser arrives from another
 * site); the sealed state names the user who started, and only that signed-in user's
 * callback connects the account. Always ends on the Accounts page, saying what happened.
 */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  const accounts = new URL("/accounts", callbackUrl(ctx.config));
  try {
    const user = await currentUser(ctx, req);
    const { account } = await completeBlueskyAuthorization(ctx, new URL(req.url).searchParams, user?.id);
    accounts.searchParams.set("connected", account.handle);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    accounts.searchParams.set("error", err.message);
  }
  return Response.redirect(accounts, 303);
});
