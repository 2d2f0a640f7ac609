import type * as OAuthLibrary from "@atproto/oauth-client-node";
import type { AppContext } from "../../../context";
import { ReauthRequiredError } from "../../platformErrors";
import { hasOAuthSession } from "./stores";

/**
 * The OAuth side of the Bluesky service: a DID with a stored OAuth session publishes and
 * refreshes through it; any other account keeps its app-password session.
 */
export interface BlueskyOAuthSessions {
  /** The DID's session, refreshed first when its access token is about to lapse; undefined when the DID has none. */
  restore(did: string): Promise<OAuthLibrary.OAuthSession | undefined>;
  /** A new token set now (the weekly job, a forced refresh); undefined when the DID has no OAuth session. */
  refresh(did: string): Promise<OAuthLibrary.OAuthSession | undefined>;
}

/** A refused refresh (revoked, expired, the session deleted elsewhere) means reconnecting. */
function reauthError(err: unknown, lib: typeof OAuthLibrary): unknown {
  if (err instanceof lib.TokenRefreshError || err instanceof lib.TokenRevokedError || err instanceof lib.TokenInvalidError) {
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
    // Loaded here, for the first OAuth account: the library is 11 MB of memory that a process
    // serving only app-password accounts never needs.
    const [lib, { getBlueskyOAuthClient }] = await Promise.all([import("@atproto/oauth-client-node"), import("./client")]);
    const client = await getBlueskyOAuthClient(ctx);
    try {
      return await client.restore(did, refresh);
    } catch (err) {
      throw reauthError(err, lib);
    }
  };
  return { restore: (did) => open(did, "auto"), refresh: (did) => open(did, true) };
}
