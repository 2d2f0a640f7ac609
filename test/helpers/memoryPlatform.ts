import { randomBytes } from "node:crypto";
import type {
  PlatformAccount,
  PlatformService,
  PlatformSession,
  PostContent,
  PublishRequest,
  PublishResult,
} from "@/app/lib/api/platform";
import { newRecordKeys } from "@/app/lib/api/bluesky/tid";
import { registerPlatformService } from "@/app/lib/api/services/apiManager";
import { BLUESKY_DESCRIPTOR } from "@/app/lib/api/services/blueSkyService";
import type { AppContext } from "@/app/lib/context";
import { storeAccount } from "@/app/lib/accounts/connectAccount";

/**
 * An in-process, zero-latency "bluesky" for pipeline tests and the benchmark: records live
 * in a Map keyed by repo and record key, written create-only like the real PDS (same content
 * again is a no-op, different content is refused). `failNext` queues errors to throw.
 */
export interface MemoryRecord {
  did: string;
  rkey: string;
  text: string;
  createdAt: string;
  images: number;
  langs?: string[];
  /** rkey of the thread root / parent (undefined for a root). */
  root?: string;
  parent?: string;
}

export interface MemoryPlatform extends PlatformService {
  connect: NonNullable<PlatformService["connect"]>;
  refreshSession: NonNullable<PlatformService["refreshSession"]>;
  records: Map<string, MemoryRecord>;
  /** Number of publish() calls that reached the "network". */
  calls: number;
  /** Errors thrown by the next publish() calls, in order. */
  failNext(...errors: Error[]): void;
  /** Errors thrown by the next refreshSession() calls, in order. */
  failRefresh(...errors: Error[]): void;
  /** Number of refreshSession() calls. */
  refreshes: number;
  /** Makes every publish() wait this long (to catch a job in flight). */
  latencyMs: number;
  postsOf(did: string): MemoryRecord[];
  /** Serves the platform in each context (each "process"); the returned function puts back what was there. */
  register(ctx: AppContext, ...more: AppContext[]): () => void;
}

const graphemes = (s: string) => [...new Intl.Segmenter("en", { granularity: "grapheme" }).segment(s)].length;

export function createMemoryPlatform(): MemoryPlatform {
  const records = new Map<string, MemoryRecord>();
  const failures: Error[] = [];
  const refreshFailures: Error[] = [];
  const session = (did: string, handle: string): PlatformSession => ({
    did,
    handle,
    service: "memory://",
    accessJwt: `a-${randomBytes(6).toString("hex")}`,
    refreshJwt: `r-${randomBytes(6).toString("hex")}`,
    accessExpiresAt: new Date(Date.now() + 2 * 3600_000),
  });

  const platform: MemoryPlatform = {
    platform: "bluesky",
    descriptor: BLUESKY_DESCRIPTOR,
    instanceCheck: { label: "memory", path: "/" },
    newSegmentKeys: newRecordKeys,
    records,
    calls: 0,
    latencyMs: 0,
    failNext: (...errors) => void failures.push(...errors),
    failRefresh: (...errors) => void refreshFailures.push(...errors),
    refreshes: 0,
    async connect({ identifier }) {
      return session(`did:plc:${identifier.replace(/[^a-z0-9]/gi, "").toLowerCase()}`, identifier);
    },
    async refreshSession(account: PlatformAccount) {
      platform.refreshes++;
      const failure = refreshFailures.shift();
      if (failure) throw failure;
      return session(account.remoteId, account.handle);
    },
    validate(content: PostContent) {
      const problems: string[] = [];
      content.segments.forEach((s, i) => {
        const n = graphemes(s.text);
        if (n === 0 && !s.images?.length) problems.push(`post ${i + 1} is empty`);
        if (n > 300) problems.push(`post ${i + 1} is ${n} characters long; the limit is 300`);
        if (Buffer.byteLength(s.text) > 3000) problems.push(`post ${i + 1} is over 3000 bytes`);
      });
      return problems;
    },
    async publish(account: PlatformAccount, req: PublishRequest): Promise<PublishResult> {
      platform.calls++;
      if (platform.latencyMs > 0) await new Promise((r) => setTimeout(r, platform.latencyMs));
      const failure = failures.shift();
      if (failure) throw failure;
      let wrote = false;
      const out = req.content.segments.map((seg, i) => {
        const rkey = req.rkeys[i]!;
        const rec: MemoryRecord = {
          did: account.remoteId,
          rkey,
          text: seg.text,
          createdAt: req.createdAt.toISOString(),
          images: seg.images?.length ?? 0,
          ...(req.content.langs ? { langs: req.content.langs } : {}),
          ...(i > 0 ? { root: req.rkeys[0], parent: req.rkeys[i - 1] } : {}),
        };
        const key = `${account.remoteId}/${rkey}`;
        const existing = records.get(key);
        if (existing && JSON.stringify(existing) !== JSON.stringify(rec)) throw new Error(`InvalidSwap on ${key}`);
        if (!existing) {
          records.set(key, rec);
          wrote = true;
        }
        return { uri: `at://${account.remoteId}/app.bsky.feed.post/${rkey}`, cid: `cid-${rkey}` };
      });
      return { root: out[0]!, records: out, alreadyPublished: !wrote };
    },
    postsOf: (did) => [...records.values()].filter((r) => r.did === did),
    register: (...ctxs) => {
      const restores = ctxs.map((c) => registerPlatformService(c, platform));
      return () => restores.forEach((restore) => restore());
    },
  };
  return platform;
}

/** Stores an account for `userId` whose credentials the memory platform accepts. */
export async function insertMemoryAccount(ctx: AppContext, userId: string, name = `m${randomBytes(3).toString("hex")}`) {
  const did = `did:plc:${name}`;
  const { account } = await storeAccount(
    ctx,
    { userId, platform: "bluesky", remoteId: did, handle: `${name}.test`, instanceUrl: "memory://", accessExpiresAt: new Date(Date.now() + 2 * 3600_000), credentialsKind: "app_password" },
    { appPassword: "app-pass", accessJwt: "a-jwt", refreshJwt: "r-jwt" },
  );
  return account;
}
