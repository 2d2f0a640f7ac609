import { and, eq, lt } from "drizzle-orm";
import type { NodeSavedSession, NodeSavedSessionStore, NodeSavedState, NodeSavedStateStore } from "@atproto/oauth-client-node";
import type { AppContext } from "../../../context";
import type { SecretBox } from "../../../crypto/secretBox";
import type { Db } from "../../../db/client";
import { blueskyOAuthSessions, blueskyOAuthStates, socialAccounts } from "../../../db/schema";

/**
 * The OAuth client's stores in PostgreSQL, shared by every web and worker process. Values
 * hold a DPoP private key and tokens, so they are sealed (AES-256-GCM, the row's key as
 * associated data) like every other credential.
 */

/** An authorization left unfinished this long is forgotten (the server's own codes last minutes). */
const STATE_TTL_MS = 60 * 60_000;

export const stateContext = (key: string) => `bluesky-oauth-state:${key}`;
export const sessionContext = (did: string) => `bluesky-oauth-session:${did}`;

export function createStateStore(ctx: AppContext): NodeSavedStateStore {
  const db = ctx.database.db;
  return {
    async set(key, value) {
      await db.delete(blueskyOAuthStates).where(lt(blueskyOAuthStates.createdAt, new Date(Date.now() - STATE_TTL_MS)));
      await db.insert(blueskyOAuthStates).values({ key, value: ctx.box.seal(JSON.stringify(value), stateContext(key)) });
    },
    async get(key) {
      const [row] = await db.select().from(blueskyOAuthStates).where(eq(blueskyOAuthStates.key, key));
      if (!row || row.createdAt.getTime() < Date.now() - STATE_TTL_MS) return undefined;
      return JSON.parse(ctx.box.open(row.value, stateContext(key))) as NodeSavedState;
    },
    async del(key) {
      await db.delete(blueskyOAuthStates).where(eq(blueskyOAuthStates.key, key));
    },
  };
}

export function createSessionStore(ctx: AppContext): NodeSavedSessionStore {
  const db = ctx.database.db;
  return {
    async set(did, value) {
      const sealed = ctx.box.seal(JSON.stringify(value), sessionContext(did));
      const now = new Date();
      await db
        .insert(blueskyOAuthSessions)
        .values({ did, value: sealed, updatedAt: now })
        .onConflictDoUpdate({ target: blueskyOAuthSessions.did, set: { value: sealed, updatedAt: now } });
      // The accounts of this DID plan their next refresh by the new token's expiry, whoever
      // refreshed it (the library on its own, or our refresh path). last_refreshed_at stays
      // what it means for every account: when PostMore's refresh path last rotated the tokens.
      const expiresAt = value.tokenSet.expires_at ? new Date(value.tokenSet.expires_at) : null;
      if (expiresAt) {
        await db.update(socialAccounts).set({ accessExpiresAt: expiresAt }).where(and(eq(socialAccounts.platform, "bluesky"), eq(socialAccounts.remoteId, did)));
      }
    },
    async get(did) {
      const [row] = await db.select().from(blueskyOAuthSessions).where(eq(blueskyOAuthSessions.did, did));
      return row ? (JSON.parse(ctx.box.open(row.value, sessionContext(did))) as NodeSavedSession) : undefined;
    },
    async del(did) {
      await db.delete(blueskyOAuthSessions).where(eq(blueskyOAuthSessions.did, did));
    },
  };
}

/** True when this DID signs in through OAuth (it has a session row). */
export async function hasOAuthSession(ctx: AppContext, did: string): Promise<boolean> {
  const rows = await ctx.database.db.select({ did: blueskyOAuthSessions.did }).from(blueskyOAuthSessions).where(eq(blueskyOAuthSessions.did, did));
  return rows.length > 0;
}

/**
 * rotate-secret: every OAuth state and session re-sealed from one key to the other, inside the
 * caller's transaction (rows locked), so they move with the accounts' credentials or not at all.
 */
export async function resealBlueskyOAuth(db: Db, from: SecretBox, to: SecretBox): Promise<number> {
  const sessions = await db.select().from(blueskyOAuthSessions).for("update");
  for (const row of sessions) {
    const value = to.seal(from.open(row.value, sessionContext(row.did)), sessionContext(row.did));
    await db.update(blueskyOAuthSessions).set({ value }).where(eq(blueskyOAuthSessions.did, row.did));
  }
  const states = await db.select().from(blueskyOAuthStates).for("update");
  for (const row of states) {
    const value = to.seal(from.open(row.value, stateContext(row.key)), stateContext(row.key));
    await db.update(blueskyOAuthStates).set({ value }).where(eq(blueskyOAuthStates.key, row.key));
  }
  return sessions.length + states.length;
}
