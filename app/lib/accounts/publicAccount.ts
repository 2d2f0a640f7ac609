import type { AccountCredentials } from "../api/platform";
import type { SecretBox } from "../crypto/secretBox";
import type { SocialAccount } from "../db/schema";
import { notFound } from "../errors";

/** What clients see of an account: never credentials. */
export interface PublicAccount {
  id: string;
  platform: SocialAccount["platform"];
  handle: string;
  did: string;
  service: string;
  status: SocialAccount["status"];
  lastRefreshedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
}

export function toPublicAccount(row: SocialAccount): PublicAccount {
  return {
    id: row.id,
    platform: row.platform,
    handle: row.handle,
    did: row.remoteId,
    service: row.instanceUrl,
    status: row.status,
    lastRefreshedAt: row.lastRefreshedAt?.toISOString() ?? null,
    lastError: row.lastError,
    lastErrorAt: row.lastErrorAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that cannot exist is simply not found (and never reaches PostgreSQL as a malformed uuid). */
export function assertAccountId(id: string): void {
  if (!UUID.test(id)) throw notFound("account");
}

/** What a row's sealed credentials are bound to (AES-GCM associated data): they open only in that row. */
export const credentialsContext = (accountId: string) => `social_accounts.credentials:${accountId}`;

export function sealCredentials(box: SecretBox, credentials: AccountCredentials, accountId: string): string {
  return box.seal(JSON.stringify(credentials), credentialsContext(accountId));
}

export function openCredentials(box: SecretBox, sealed: string, accountId: string): AccountCredentials {
  const value = JSON.parse(box.open(sealed, credentialsContext(accountId))) as Partial<AccountCredentials>;
  return {
    appPassword: value.appPassword ?? "",
    accessJwt: value.accessJwt ?? "",
    refreshJwt: value.refreshJwt ?? "",
    ...(value.accessToken ? { accessToken: value.accessToken } : {}),
  };
}
