import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { AtpAgent } from "@atproto/api";
import { TestNetworkNoAppView } from "@atproto/dev-env";

/**
 * A real local Bluesky PDS (and PLC directory) for tests: `@atproto/dev-env`'s
 * TestNetworkNoAppView, on SQLite under a directory of its own.
 *
 * Facts that shaped this helper:
 * - dev-env puts its SQLite files and blobs under os.tmpdir() (and creates the data
 *   directory itself); TMPDIR points at our own directory while it starts, so
 *   `close()` removes everything.
 * - its app-view and moderation defaults are `*.invalid` hosts; this machine has no
 *   outside network, so they point at a dead loopback port instead.
 * - the PDS names itself http://localhost:PORT (DID documents, handle resolution);
 *   we hand out 127.0.0.1 URLs where we choose.
 */

export const DEAD_URL = "http://127.0.0.1:9";

export interface TestAccount {
  did: string;
  handle: string;
  /** The account password (full access). */
  password: string;
  /** An app password created for this account: what a user gives PostMore. */
  appPassword: string;
  appPasswordName: string;
  /** The account's email (needed by nothing else, kept for completeness). */
  email: string;
}

export interface PdsRecord {
  uri: string;
  cid: string;
  value: Record<string, unknown>;
}

export interface TestPds {
  /** The PDS base URL (127.0.0.1). */
  url: string;
  /** The PDS's own idea of its URL (what DID documents name): http://localhost:PORT. */
  publicUrl: string;
  plcUrl: string;
  /** Settings that make the app resolve identities with this PLC and PDS and reach them through OUTBOUND_ALLOWLIST. */
  env: { ATPROTO_PLC_URL: string; ATPROTO_HANDLE_RESOLVER_URL: string; OUTBOUND_ALLOWLIST: string };
  network: TestNetworkNoAppView;
  createAccount(handlePrefix?: string): Promise<TestAccount>;
  createAppPassword(account: Pick<TestAccount, "handle" | "password">, name?: string): Promise<string>;
  revokeAppPassword(account: Pick<TestAccount, "handle" | "password">, name: string): Promise<void>;
  /** Every record of `collection` in the repo of `did` (all pages, in the PDS's order). */
  listPosts(did: string, collection?: string): Promise<PdsRecord[]>;
  /** One record, or undefined when it does not exist. */
  getRecord(did: string, rkey: string, collection?: string): Promise<PdsRecord | undefined>;
  close(): Promise<void>;
}

export async function startTestPds(opts: { rateLimitsEnabled?: boolean } = {}): Promise<TestPds> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "postmore-pds-"));
  const previousTmp = process.env.TMPDIR;
  // dev-env calls os.tmpdir() during create (after a few awaits), so TMPDIR stays ours until it is up.
  process.env.TMPDIR = dir;
  let network: TestNetworkNoAppView;
  try {
    network = await TestNetworkNoAppView.create({
      plc: {},
      pds: {
        blobstoreDiskTmpLocation: path.join(dir, "blobs-tmp"),
        bskyAppViewUrl: DEAD_URL,
        bskyAppViewCdnUrlPattern: `${DEAD_URL}/%s/%s/%s`,
        modServiceUrl: DEAD_URL,
        rateLimitsEnabled: opts.rateLimitsEnabled ?? false,
      },
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
  }

  const url = `http://127.0.0.1:${network.pds.port}`;
  const plcUrl = `http://127.0.0.1:${network.plc.port}`;
  const reader = new AtpAgent({ service: url });

  const login = async (account: Pick<TestAccount, "handle" | "password">) => {
    const agent = new AtpAgent({ service: url });
    await agent.login({ identifier: account.handle, password: account.password });
    return agent;
  };

  const createAppPassword: TestPds["createAppPassword"] = async (account, name) => {
    const agent = await login(account);
    const res = await agent.com.atproto.server.createAppPassword({ name: name ?? `pm-${randomBytes(3).toString("hex")}` });
    return res.data.password;
  };

  return {
    url,
    publicUrl: network.pds.url,
    plcUrl,
    env: {
      ATPROTO_PLC_URL: plcUrl,
      ATPROTO_HANDLE_RESOLVER_URL: url,
      OUTBOUND_ALLOWLIST: `127.0.0.1:${network.pds.port},localhost:${network.pds.port},127.0.0.1:${network.plc.port}`,
    },
    network,
    async createAccount(handlePrefix = "user") {
      const suffix = randomBytes(3).toString("hex");
      // Handles are at most 18 characters in their first label on this PDS; keep it short.
      const handle = `${handlePrefix.slice(0, 10).toLowerCase()}${suffix}.test`;
      const email = `${handle}@example.test`;
      const password = `pw-${randomBytes(8).toString("hex")}`;
      const res = await reader.com.atproto.server.createAccount({ handle, email, password });
      const appPasswordName = `postmore-${suffix}`;
      const agent = new AtpAgent({ service: url });
      await agent.login({ identifier: handle, password });
      const app = await agent.com.atproto.server.createAppPassword({ name: appPasswordName });
      return { did: res.data.did, handle, password, appPassword: app.data.password, appPasswordName, email };
    },
    createAppPassword,
    async revokeAppPassword(account, name) {
      const agent = await login(account);
      await agent.com.atproto.server.revokeAppPassword({ name });
    },
    async listPosts(did, collection = "app.bsky.feed.post") {
      const out: PdsRecord[] = [];
      let cursor: string | undefined;
      do {
        const res = await reader.com.atproto.repo.listRecords({ repo: did, collection, limit: 100, cursor });
        for (const r of res.data.records) out.push({ uri: r.uri, cid: r.cid, value: r.value as Record<string, unknown> });
        cursor = res.data.records.length > 0 ? res.data.cursor : undefined;
      } while (cursor);
      return out;
    },
    async getRecord(did, rkey, collection = "app.bsky.feed.post") {
      try {
        const res = await reader.com.atproto.repo.getRecord({ repo: did, collection, rkey });
        return { uri: res.data.uri, cid: res.data.cid ?? "", value: res.data.value as Record<string, unknown> };
      } catch (err) {
        if ((err as { error?: string }).error === "RecordNotFound") return undefined;
        throw err;
      }
    },
    async close() {
      await network.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
