import { POST as connect } from "@/app/api/accounts/route";
import { call } from "./http";
import type { TestPds } from "./pds";

/**
 * New accounts on the local PDS, each connected through POST /api/accounts for the user
 * holding `token` (as a person would connect them). `service` defaults to the PDS itself; a
 * proxy in front of it can be given instead.
 */
export async function connectPdsAccounts(
  pds: TestPds,
  token: string,
  prefixes: string[],
  service = pds.url,
): Promise<Array<{ id: string; did: string }>> {
  const accounts: Array<{ id: string; did: string }> = [];
  for (const prefix of prefixes) {
    const acct = await pds.createAccount(prefix);
    const res = await call(connect, {
      method: "POST",
      token,
      body: { platform: "bluesky", identifier: acct.handle, appPassword: acct.appPassword, service },
    });
    if (res.status !== 201) throw new Error(`connecting @${acct.handle} failed: ${res.status} ${JSON.stringify(res.body)}`);
    accounts.push({ id: res.body.account.id, did: acct.did });
  }
  return accounts;
}
