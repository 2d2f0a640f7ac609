import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { mastodonApps } from "../../db/schema";
import type { InstanceLimitsStore } from "./instance";

/**
 * Each instance's limits on its mastodon_apps row: every connected account's instance has one
 * (connecting registers the app there first), so nothing is stored for an instance nobody uses.
 */
export function instanceLimitsStore(db: Db): InstanceLimitsStore {
  return {
    async get(instanceUrl) {
      const [row] = await db
        .select({ limits: mastodonApps.limits, fetchedAt: mastodonApps.limitsFetchedAt })
        .from(mastodonApps)
        .where(eq(mastodonApps.instanceUrl, instanceUrl))
        .limit(1);
      return row?.limits && row.fetchedAt ? { limits: row.limits, fetchedAt: row.fetchedAt } : undefined;
    },
    async put(instanceUrl, limits, fetchedAt) {
      await db.update(mastodonApps).set({ limits, limitsFetchedAt: fetchedAt }).where(eq(mastodonApps.instanceUrl, instanceUrl));
    },
  };
}
