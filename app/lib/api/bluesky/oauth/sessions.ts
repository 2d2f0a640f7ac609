import { TokenInvalidError, TokenRefreshError, TokenRevokedError, type OAuthSession } from "@atproto/oauth-client-node";
import type { AppContext } from "../../../context";
import { ReauthRequiredError } from "../../platformErrors";
import { getBlueskyOAuthClient } from "./client";
import { hasOAuthSession } from "./stores";

/**
 * The OAuth side of the Bluesky service: a DID with a stored OAuth session publishes and
 * refreshes through it; any other account keeps its app-password session.
 */
export interface BlueskyOAuthSessions {
  /** The DID's session, refreshed first when its access token is about to lapse; undefined when the DID has none. */
  restore(did: string): Promise<OAuthSession | undefined>;
  /** A new token set now (the weekly job, a forced refresh); undefined when the DID has no OAuth session. */
  refresh(did: string): Promise<OAuthSession | undefined>;
}

/** A refused refresh (revoked, expired, the session deleted elsewhere) means reconnecting. */
function reauthError(err: unknown): unknown {
  if (err instanceof TokenRefreshError || err instanceof TokenRevokedError || err instanceof TokenInvalidError) {
    return new ReauthRequiredError(
      `Bluesky no longer accepts PostMore's OAuth session (${err.message}): reconnect the account`,
      { cause: err },
    );
  }
  return err;
}

export function blueskyOAuthSessions(ctx: AppContext): BlueskyOAuthSessions {
  const open = async (did: string, refresh: boolean | "auto") => {
    if (!(await hasOAuthSession(ctx, did))) return undefined;
    const client = await getBlueskyOAuthClient(ctx);
    try {
      return await client.restore(did, refresh);
    } catch (err) {
      throw reauthError(err);
    }
  };
  return { restore: (did) => open(did, "auto"), refresh: (did) => open(did, true) };
}
