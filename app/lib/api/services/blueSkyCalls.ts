import { Agent, XRPCError } from "@atproto/api";
import { logger } from "../../logger";
import type { PlatformAccount, PlatformSession, PublishedRecord, PublishRequest, PublishResult } from "../platform";
import { AuthPlatformError, PermanentPlatformError, ReauthRequiredError } from "../platformErrors";
import { pdsClient, type PdsClient } from "../bluesky/client";
import { classifyError } from "../bluesky/errors";
import { buildFacets } from "../bluesky/facets";
import { normaliseIdentifier, resolveIdentifier, verifyIdentity } from "../bluesky/identity";
import { buildEmbed } from "../bluesky/embeds";
import { buildGates, writePostWithGates } from "../bluesky/gates";
import { buildPostRecord, findRecord, POST_COLLECTION } from "../bluesky/records";
import { publishRepost, REPOST_COLLECTION } from "../bluesky/reposts";
import { connectError, normaliseServiceUrl, toPlatformSession } from "../bluesky/session";
import { isRecordKey } from "../bluesky/tid";
import { validatePostContent } from "../bluesky/validate";
import { blueskyViewUrl } from "../bluesky/viewUrl";
import { checkVideoLimits, uploadVideoEmbed, VIDEO_UPLOAD_TIMEOUT_MS, type VideoSettings } from "../bluesky/video";
import type { BlueSkyService, BlueSkySettings } from "./blueSkyService";

const log = logger("bluesky");

/** What only a PDS can answer: loaded by blueSkyService.ts on the first call that needs one. */
export type BlueSkyCalls = Required<Pick<BlueSkyService, "connect" | "refreshSession" | "forceRefreshTokens" | "publish" | "checkLimits" | "findPublished">>;

/** The calls of the Bluesky service, with the settings of its AppContext. */
export function createBlueSkyCalls(settings: BlueSkySettings): BlueSkyCalls {

  async function createSession(service: string, identifier: string, password: string) {
    const client = pdsClient(service, { timeoutMs: settings.timeoutMs, outbound: settings.outbound });
    const res = await client.com.atproto.server.createSession({ identifier, password });
    return toPlatformSession(res.data, service);
  }

  async function refreshSession(account: PlatformAccount): Promise<PlatformSession> {
    const client = pdsClient(account.instanceUrl, { token: account.credentials.refreshJwt, timeoutMs: settings.timeoutMs, outbound: settings.outbound });
    try {
      const res = await client.com.atproto.server.refreshSession();
      return toPlatformSession(res.data, account.instanceUrl);
    } catch (err) {
      throw classifyError(err, "refreshing the session");
    }
  }

  /**
   * The OAuth session's agent (DPoP-bound tokens) when the account signed in that way, else its
   * app-password session; `timeoutMs` for calls that carry a large body (a video).
   */
  async function clientFor(account: PlatformAccount, timeoutMs = settings.timeoutMs): Promise<PdsClient> {
    // An account connected with an app password publishes with its own tokens: no OAuth session lookup.
    const session = account.credentialsKind === "app_password" ? undefined : await settings.oauth?.restore(account.remoteId);
    if (session) return new Agent(session);
    return pdsClient(account.instanceUrl, { token: account.credentials.accessJwt, timeoutMs, outbound: settings.outbound });
  }

  const videoSettings = (): VideoSettings => ({
    videoServiceUrl: settings.videoServiceUrl ?? "",
    timeoutMs: settings.timeoutMs,
    outbound: settings.outbound,
    videoPollMs: settings.videoPollMs,
  });

  /** An OAuth account's refresh: the library rotates the tokens (under its lock) and stores them. */
  async function refreshOAuth(account: PlatformAccount): Promise<PlatformSession | undefined> {
    const session = await settings.oauth?.refresh(account.remoteId);
    if (!session) return undefined;
    const info = await session.getTokenInfo(false);
    const accessExpiresAt = info.expiresAt ?? new Date(Date.now() + 60 * 60_000);
    return { did: account.remoteId, handle: account.handle, service: account.instanceUrl, accessJwt: "", refreshJwt: "", accessExpiresAt };
  }

  return {
    async connect({ identifier, appPassword, service }) {
      const id = normaliseIdentifier(identifier);
      const target = service ? normaliseServiceUrl(service) : (await resolveIdentifier(id, settings)).service;
      try {
        const session = await createSession(target, id, appPassword);
        await verifyIdentity(session, settings);
        log.info({ did: session.did, service: target }, "connected account");
        return session;
      } catch (err) {
        throw connectError(err, target);
      }
    },

    async refreshSession(account) {
      return (await refreshOAuth(account)) ?? refreshSession(account);
    },

    async forceRefreshTokens(account) {
      const oauth = await refreshOAuth(account);
      if (oauth) return oauth;
      try {
        return await refreshSession(account);
      } catch (err) {
        if (!(err instanceof AuthPlatformError)) throw err;
        log.info({ accountId: account.id, reason: err.message }, "refresh token refused; logging in with the app password");
      }
      if (!account.credentials.appPassword) {
        throw new ReauthRequiredError("the session expired and no app password is stored: reconnect the account");
      }
      try {
        return await createSession(account.instanceUrl, account.remoteId, account.credentials.appPassword);
      } catch (err) {
        const classified = classifyError(err, "logging in with the stored app password");
        if (classified instanceof AuthPlatformError) {
          throw new ReauthRequiredError(
            "Bluesky no longer accepts the stored app password (it was revoked or changed): reconnect the account with a new app password",
            { cause: err },
          );
        }
        throw classified;
      }
    },

    async publish(account, request) {
      checkRequest(request);
      const { segments, langs, rich } = request.content;
      let client: PdsClient;
      try {
        client = await clientFor(account);
      } catch (err) {
        throw classifyError(err, "opening the OAuth session");
      }
      if (rich?.repost) {
        try {
          const written = await publishRepost(client, settings, account.remoteId, request.rkeys[0] as string, rich.repost.subject, request.createdAt.toISOString());
          const root = { uri: written.uri, cid: written.cid };
          log.info({ accountId: account.id, uri: root.uri, alreadyPublished: written.existed }, "reposted");
          return { root, records: [root], alreadyPublished: written.existed };
        } catch (err) {
          throw classifyError(err, "reposting the post");
        }
      }
      // "No such handle" (400) → the mention stays plain text; anything else is a failed call and propagates.
      const lookup = async (handle: string) => {
        try {
          return (await client.com.atproto.identity.resolveHandle({ handle })).data.did;
        } catch (err) {
          if (err instanceof XRPCError && err.status === 400) return undefined;
          throw err;
        }
      };

      // Segments an earlier attempt put live are kept as they are: the thread continues after them.
      const records: PublishedRecord[] = [...(request.published ?? [])].slice(0, segments.length);
      let allExisted = true;
      for (const [i, segment] of segments.entries()) {
        if (i < records.length) continue;
        const rkey = request.rkeys[i] as string;
        const action = segments.length > 1 ? `publishing post ${i + 1} of ${segments.length} of the thread` : "publishing the post";
        try {
          const root = records[0];
          const parent = records[i - 1];
          const richSegment = rich?.segments?.[i];
          const facets = await buildFacets(segment.text, lookup);
          // Fixed per segment: a retry must produce the same record. +i ms keeps a thread in order.
          const createdAt = new Date(request.createdAt.getTime() + i).toISOString();
          // A retry after an unclear outcome: when the post is live already, its video is not
          // uploaded again (the write below then only confirms the record by its key).
          const live = segment.video && request.unclearSince ? await findRecord(client, account.remoteId, rkey) : undefined;
          const video =
            segment.video && !live
              ? await uploadVideoEmbed(client, await clientFor(account, VIDEO_UPLOAD_TIMEOUT_MS), videoSettings(), account.remoteId, segment.video)
              : undefined;
          const record = buildPostRecord({
            text: segment.text,
            createdAt,
            langs,
            facets,
            embed: live ? undefined : await buildEmbed(client, settings, { images: segment.images, video, facets, rich: richSegment }),
            labels: richSegment?.labels,
            reply: root && parent ? { root: strongRef(root), parent: strongRef(parent) } : undefined,
          });
          // Reply control gates the whole thread, so it sits on its first post.
          const gates = buildGates(`at://${account.remoteId}/${POST_COLLECTION}/${rkey}`, createdAt, {
            replyControl: i === 0 ? rich?.replyControl : undefined,
            disableQuotes: richSegment?.disableQuotes,
          });
          const written = await writePostWithGates(client, account.remoteId, rkey, record, gates);
          records.push({ uri: written.uri, cid: written.cid, url: blueskyViewUrl(account.instanceUrl, written.uri) });
          allExisted &&= written.existed;
        } catch (err) {
          const classified = classifyError(err, action);
          classified.publishedSoFar = [...records];
          throw classified;
        }
      }
      const root = records[0] as PublishedRecord;
      log.info({ accountId: account.id, uri: root.uri, segments: records.length, alreadyPublished: allExisted }, "published");
      return { root, records, alreadyPublished: allExisted } satisfies PublishResult;
    },

    async checkLimits(account, content) {
      const videos = content.segments.some((seg) => seg.video);
      if (!videos || !settings.videoServiceUrl) return { ok: true };
      return checkVideoLimits(await clientFor(account), videoSettings(), content);
    },

    async findPublished(account, request) {
      const client = await clientFor(account);
      const found: PublishedRecord[] = [];
      const collection = request.content.rich?.repost ? REPOST_COLLECTION : POST_COLLECTION;
      for (const rkey of request.rkeys) {
        const record = await findRecord(client, account.remoteId, rkey, collection);
        if (!record) break;
        found.push({ uri: record.uri, cid: record.cid, url: blueskyViewUrl(account.instanceUrl, record.uri) });
      }
      return found;
    },
  };
}

/** A reply points at records by uri and cid; every Bluesky record we stored has both. */
function strongRef(record: PublishedRecord): { uri: string; cid: string } {
  if (!record.cid) throw new PermanentPlatformError(`internal: the earlier segment ${record.uri} has no cid`);
  return { uri: record.uri, cid: record.cid };
}

function checkRequest(request: PublishRequest): void {
  const problems = validatePostContent(request.content);
  if (problems.length > 0) throw new PermanentPlatformError(problems.join("; "));
  if (request.rkeys.length !== request.content.segments.length) {
    throw new PermanentPlatformError(
      `internal: ${request.rkeys.length} record keys for ${request.content.segments.length} posts (one key per post is needed)`,
    );
  }
  const bad = request.rkeys.find((k) => !isRecordKey(k));
  if (bad !== undefined) throw new PermanentPlatformError(`internal: ${JSON.stringify(bad)} is not a valid record key (TID)`);
  if (new Set(request.rkeys).size !== request.rkeys.length) throw new PermanentPlatformError("internal: record keys repeat");
  if (Number.isNaN(request.createdAt.getTime())) throw new PermanentPlatformError("internal: createdAt is not a valid date");
}
