import { credentialsContext } from "../accounts/publicAccount";
import { resealBlueskyOAuth } from "../api/bluesky/oauth/stores";
import type { Db } from "../db/client";
import { lockAllSealedCredentials, setSealedCredentials } from "../db/queries/sealedCredentials";
import { lockAllWebhookSecrets, setWebhookSecret } from "../db/queries/webhooks";
import { webhookSecretContext } from "../webhooks/signature";
import type { SecretBox } from "./secretBox";

/**
 * Re-encrypts every sealed value from `from`'s key to `to`'s, in one transaction: either
 * all rows move to the new key or none does. Old "v1" values (no associated data) come out
 * as v2, bound to their row. A value that does not open with the old key stops everything
 * (rolled back), naming the row: rotating must never destroy what it cannot read.
 */
export async function resealAllCredentials(
  db: Db,
  from: SecretBox,
  to: SecretBox,
): Promise<{ rows: number; upgraded: number; webhooks: number; oauthRows: number }> {
  return db.transaction(async (tx) => {
    const q = tx as unknown as Db;
    const rows = await lockAllSealedCredentials(q);
    let upgraded = 0;
    for (const { id, credentials } of rows) {
      let plain: string;
      try {
        plain = from.open(credentials, credentialsContext(id));
      } catch {
        throw new Error(`the credentials of account ${id} do not open with the current key: nothing was changed`);
      }
      if (credentials.startsWith("v1.")) upgraded++;
      await setSealedCredentials(q, id, to.seal(plain, credentialsContext(id)));
    }
    // Webhook signing secrets (branch webhooks), in the same transaction.
    const hooks = await lockAllWebhookSecrets(q);
    for (const { id, secret } of hooks) {
      let plain: string;
      try {
        plain = from.open(secret, webhookSecretContext(id));
      } catch {
        throw new Error(`the secret of webhook ${id} does not open with the current key: nothing was changed`);
      }
      await setWebhookSecret(q, id, to.seal(plain, webhookSecretContext(id)));
    }
    // branch oauth: the Bluesky OAuth states and sessions move with them.
    const oauthRows = await resealBlueskyOAuth(q, from, to);
    return { rows: rows.length, upgraded, webhooks: hooks.length, oauthRows };
  });
}
