import { connectAccount } from "@/app/lib/accounts/connectAccount";
import * as authorizeRoute from "@/app/api/accounts/mastodon/authorize/route";
import * as callbackRoute from "@/app/api/accounts/mastodon/callback/route";
import type { PlatformName } from "@/app/lib/api/platform";
import type { AppContext } from "@/app/lib/context";
import { startFaultProxy, type FaultProxy } from "@/test/helpers/faultProxy";
import type { TestAccount, TestPds } from "@/test/helpers/pds";
import type { MastodonDouble } from "@/test/mastodon/mastodonDouble";

/**
 * One platform as the conformance suite sees it: a connected account, what is live on the
 * platform for it, and failures injected on the call that writes a post. Bluesky is the real
 * local PDS behind the fault proxy; Mastodon is the schema-checked test double.
 */
export type WriteFault = "lost" | 401 | 422 | 429 | 500;

export interface LiveItem {
  /** The platform's id of the item (at:// uri, status id). */
  id: string;
  text: string;
  /** The id of the item it replies to. */
  replyTo: string | null;
  alts: string[];
}

export interface Harness {
  platform: PlatformName;
  accountId: string;
  /** Env for a worker process that must reach the same platform. */
  workerEnv: Record<string, string>;
  /** Everything the account has on the platform, oldest first. */
  live(): Promise<LiveItem[]>;
  /** The next `times` writes of a post fail this way (the message, for 422, is `REFUSAL`). */
  failWrites(fault: WriteFault, times?: number): void;
  /** The next `times` writes never get an answer (the caller hangs mid-publish). */
  holdWrites(times?: number): void;
  /** Connects the same account again, as a person would; resolves with the account id it got. */
  reconnect(): Promise<string>;
  close(): Promise<void>;
}

export const REFUSAL = "conformance: the platform refuses this post";

export async function blueskyHarness(ctx: AppContext, userId: string, pds: TestPds, account: TestAccount): Promise<Harness> {
  const proxy: FaultProxy = await startFaultProxy(pds.url);
  const connect = async () =>
    (await connectAccount(ctx, userId, { platform: "bluesky", identifier: account.handle, appPassword: account.appPassword, service: proxy.url })).account.id;
  const accountId = await connect();
  return {
    platform: "bluesky",
    accountId,
    workerEnv: { ATPROTO_PLC_URL: pds.plcUrl, ATPROTO_HANDLE_RESOLVER_URL: pds.url },
    async live() {
      const records = await pds.listPosts(account.did);
      return records
        .map((r) => {
          const v = r.value as { text: string; createdAt: string; reply?: { parent: { uri: string } }; embed?: { images?: Array<{ alt: string }> } };
          return { id: r.uri, text: v.text, replyTo: v.reply?.parent.uri ?? null, alts: (v.embed?.images ?? []).map((i) => i.alt), at: v.createdAt };
        })
        .sort((a, b) => a.at.localeCompare(b.at))
        .map(({ at: _at, ...item }) => item);
    },
    failWrites(fault, times = 1) {
      const faults = {
        lost: { kind: "drop_after_commit" },
        401: { kind: "status", status: 401, body: { error: "ExpiredToken", message: "Token has expired" } },
        422: { kind: "status", status: 400, body: { error: "InvalidRecord", message: REFUSAL } },
        429: { kind: "status", status: 429, headers: { "ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 1) }, body: { error: "RateLimitExceeded", message: "slow down" } },
        500: { kind: "status", status: 500 },
      } as const;
      proxy.inject("putRecord", faults[fault], times);
    },
    holdWrites: (times = 1) => proxy.inject("putRecord", { kind: "hold" }, times),
    reconnect: connect,
    close: () => proxy.close(),
  };
}

/** Connects through the real routes: authorize → the instance's consent (approves at once) → callback. */
export async function connectMastodon(double: MastodonDouble, token: string): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const noParams = { params: Promise.resolve({}) as Promise<Record<string, never>> };
  const started = await authorizeRoute.POST(
    new Request("http://localhost/api/accounts/mastodon/authorize", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ instance: double.url }),
    }),
    noParams,
  );
  if (started.status !== 200) throw new Error(`authorize answered ${started.status}: ${await started.text()}`);
  const { authorizeUrl } = (await started.json()) as { authorizeUrl: string };
  const consent = await fetch(authorizeUrl, { redirect: "manual" });
  const back = new URL(consent.headers.get("location") ?? "");
  const done = await callbackRoute.GET(new Request(`http://localhost${back.pathname}${back.search}`, { headers: auth }), noParams);
  if (done.status !== 303) throw new Error(`callback answered ${done.status}: ${await done.text()}`);
}

export async function mastodonHarness(ctx: AppContext, token: string, double: MastodonDouble): Promise<Harness> {
  await connectMastodon(double, token);
  const accountIdOf = async () => {
    const row = await ctx.database.pool.query<{ id: string }>(
      "SELECT id FROM social_accounts WHERE platform = 'mastodon' AND instance_url = $1 AND remote_id = $2",
      [double.url, double.user.id],
    );
    if (!row.rows[0]) throw new Error("the Mastodon account was not stored");
    return row.rows[0].id;
  };
  return {
    platform: "mastodon",
    accountId: await accountIdOf(),
    workerEnv: { MASTODON_MEDIA_POLL_MS: "50" },
    async live() {
      return double.statusesOf().map((s) => ({
        id: s.id,
        text: s.text,
        replyTo: s.inReplyToId,
        alts: s.mediaIds.map((id) => double.media.get(id)?.description ?? ""),
      }));
    },
    failWrites(fault, times = 1) {
      const route = "POST /api/v1/statuses";
      if (fault === "lost") double.failNext(route, { status: "lost" }, times);
      else if (fault === 429) double.failNext(route, { status: 429, resetInSeconds: 1 }, times);
      else if (fault === 422) double.failNext(route, { status: 422, message: REFUSAL }, times);
      else double.failNext(route, { status: fault }, times);
    },
    holdWrites: (times = 1) => double.failNext("POST /api/v1/statuses", { status: "held" }, times),
    async reconnect() {
      await connectMastodon(double, token);
      return accountIdOf();
    },
    close: () => double.close(),
  };
}
