import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { XRPCError, type $Typed, type AppBskyEmbedVideo, type BlobRef } from "@atproto/api";
import type { Outbound } from "../../net/outbound";
import type { LimitCheck, PostContent, VideoInput } from "../platform";
import { PermanentPlatformError, RateLimitedError, TransientPlatformError } from "../platformErrors";
import type { PdsClient } from "./client";
import { DEFAULT_RATE_LIMIT_WAIT_MS, retryAfterMs } from "./errors";

/**
 * branch video: a segment's video as an app.bsky.embed.video. Two ways to the blob:
 * - through Bluesky's video service (BLUESKY_VIDEO_SERVICE_URL, the way the Bluesky app does
 *   it): a service-auth token from the account's PDS lets the service upload the transcoded
 *   video to that PDS on the account's behalf; we poll the job until it hands back the blob;
 * - straight to the PDS (the setting empty): uploadBlob of the mp4 as it is. Only viewers that
 *   play raw mp4 show it; the PDS must allow blobs that large (PDS_BLOB_UPLOAD_LIMIT, 5 MB by default).
 * Every call to the video service goes through the guarded outbound layer.
 */
export interface VideoSettings {
  /** "" = straight to the PDS. */
  videoServiceUrl: string;
  timeoutMs: number;
  outbound: Outbound;
  /** How often a processing job is asked about (tests shorten it). */
  videoPollMs?: number;
}

/** An upload of up to 100 MB on a slow line: the whole exchange may take this long. */
export const VIDEO_UPLOAD_TIMEOUT_MS = 15 * 60_000;
/** Transcoding a long video takes minutes; after this the publish is retried (the job is found again by the same bytes). */
const JOB_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_POLL_MS = 2_000;
const SMALL_ANSWER_BYTES = 64 * 1024;
const SERVICE_AUTH_SECONDS = 30 * 60;

type JobStatus = { jobId: string; state: string; blob?: BlobRef; error?: string; message?: string };

/** did:web of a service from its URL (a port is percent-encoded, as did:web wants). */
export function serviceDid(url: string): string {
  return `did:web:${new URL(url).host.replace(":", "%3A")}`;
}

async function serviceAuth(client: PdsClient, aud: string, lxm: string): Promise<string> {
  const exp = Math.floor(Date.now() / 1000) + SERVICE_AUTH_SECONDS;
  return (await client.com.atproto.server.getServiceAuth({ aud, lxm, exp })).data.token;
}

/** The video service's JSON answer; a non-2xx one becomes the platform error it means. */
async function serviceJson(res: Response, action: string): Promise<Record<string, unknown>> {
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok) return body;
  const said = [body.error, body.message].filter((s) => typeof s === "string" && s !== "").join(": ") || `HTTP ${res.status}`;
  const message = `Bluesky's video service refused ${action} (${said})`;
  if (res.status === 429) return Promise.reject(new RateLimitedError(message, retryAfterMs(Object.fromEntries(res.headers)) || DEFAULT_RATE_LIMIT_WAIT_MS));
  if (res.status >= 500 || res.status === 408) return Promise.reject(new TransientPlatformError(message));
  return Promise.reject(new PermanentPlatformError(message));
}

/** A network failure of the video service is worth retrying (it is not the post's fault). */
function unreachable(err: unknown, base: string, action: string): TransientPlatformError {
  const why = err instanceof Error ? err.message : String(err);
  return new TransientPlatformError(`Bluesky's video service (${base}) could not be reached while ${action}: ${why}`, { cause: err });
}

async function uploadToVideoService(client: PdsClient, settings: VideoSettings, did: string, video: VideoInput): Promise<BlobRef> {
  const base = settings.videoServiceUrl;
  // The service writes the processed video to the account's PDS with this token, so its audience is that PDS.
  const pdsDid = (await client.com.atproto.server.describeServer()).data.did;
  const token = await serviceAuth(client, pdsDid, "com.atproto.repo.uploadBlob");
  const url = new URL(`${base}/xrpc/app.bsky.video.uploadVideo`);
  url.searchParams.set("did", did);
  url.searchParams.set("name", `${path.basename(video.file)}.mp4`);
  let res: Response;
  try {
    res = await settings.outbound.fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": video.mimeType, "content-length": String(video.size) },
      body: fs.createReadStream(video.file),
      timeoutMs: VIDEO_UPLOAD_TIMEOUT_MS,
      maxBytes: SMALL_ANSWER_BYTES,
    });
  } catch (err) {
    throw unreachable(err, base, "uploading the video");
  }
  let job: JobStatus;
  if (res.status === 409) {
    // The same bytes uploaded before (an earlier attempt): the service names the job it already has.
    const body = (await res.json().catch(() => ({}))) as { error?: string; jobId?: string; message?: string };
    if (!body.jobId) throw new PermanentPlatformError(`Bluesky's video service refused the video upload (${body.error ?? "conflict"}: ${body.message ?? ""})`);
    job = { jobId: body.jobId, state: "" };
  } else {
    job = (await serviceJson(res, "the video upload")).jobStatus as JobStatus;
  }
  if (!job?.jobId) throw new TransientPlatformError("Bluesky's video service answered the upload without a job id");
  return awaitJob(settings, job);
}

async function awaitJob(settings: VideoSettings, first: JobStatus): Promise<BlobRef> {
  const base = settings.videoServiceUrl;
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  let job = first;
  for (;;) {
    if (job.state === "JOB_STATE_FAILED") {
      throw new PermanentPlatformError(`Bluesky's video service could not process the video: ${job.message || job.error || "no reason given"}`);
    }
    if (job.state === "JOB_STATE_COMPLETED" && job.blob) return job.blob;
    if (Date.now() > deadline) throw new TransientPlatformError(`Bluesky's video service was still processing the video after ${JOB_TIMEOUT_MS / 60_000} minutes`);
    await sleep(settings.videoPollMs ?? DEFAULT_POLL_MS);
    const url = new URL(`${base}/xrpc/app.bsky.video.getJobStatus`);
    url.searchParams.set("jobId", first.jobId);
    let res: Response;
    try {
      res = await settings.outbound.fetch(url, { timeoutMs: settings.timeoutMs, maxBytes: SMALL_ANSWER_BYTES });
    } catch (err) {
      throw unreachable(err, base, "waiting for the video to be processed");
    }
    job = (await serviceJson(res, "the job status")).jobStatus as JobStatus;
    if (!job?.state) throw new TransientPlatformError("Bluesky's video service answered the job status without a state");
  }
}

/**
 * Uploads the video (and its caption files, as text/vtt blobs on the PDS) and returns the
 * embed. A retry uploads again (a second upload is harmless); the record key, not the blob,
 * is what keeps the post single.
 */
export async function uploadVideoEmbed(
  client: PdsClient,
  uploadClient: PdsClient,
  settings: VideoSettings,
  did: string,
  video: VideoInput,
): Promise<$Typed<AppBskyEmbedVideo.Main>> {
  const blob = settings.videoServiceUrl
    ? await uploadToVideoService(client, settings, did, video)
    : (await uploadClient.com.atproto.repo.uploadBlob(await fs.promises.readFile(video.file), { encoding: video.mimeType })).data.blob;
  const captions: AppBskyEmbedVideo.Caption[] = [];
  for (const c of video.captions) {
    const file = (await client.com.atproto.repo.uploadBlob(await fs.promises.readFile(c.file), { encoding: c.mimeType })).data.blob;
    captions.push({ lang: c.lang, file });
  }
  return {
    $type: "app.bsky.embed.video",
    video: blob,
    alt: video.alt,
    ...(captions.length > 0 ? { captions } : {}),
    ...(video.width > 0 && video.height > 0 ? { aspectRatio: { width: video.width, height: video.height } } : {}),
  };
}

/**
 * getUploadLimits for the account: may it post these videos today? Nothing to ask when videos
 * go straight to the PDS. A refusal carries the service's own words.
 */
export async function checkVideoLimits(client: PdsClient, settings: VideoSettings, content: PostContent<unknown>): Promise<LimitCheck> {
  const videos = content.segments.flatMap((s) => (s.video ? [s.video] : []));
  const base = settings.videoServiceUrl;
  if (videos.length === 0 || !base) return { ok: true };
  let token: string;
  try {
    token = await serviceAuth(client, serviceDid(base), "app.bsky.video.getUploadLimits");
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (err instanceof XRPCError && err.status >= 400 && err.status < 500) {
      return { ok: false, reason: "refused", message: `the account's PDS would not let PostMore ask Bluesky's video service about this account (${why}); reconnect the account` };
    }
    return { ok: false, reason: "unreachable", message: `the account's PDS could not be reached to ask about video limits (${why}); try again later` };
  }
  let limits: { canUpload?: boolean; remainingDailyVideos?: number; remainingDailyBytes?: number; message?: string; error?: string };
  try {
    const res = await settings.outbound.fetch(`${base}/xrpc/app.bsky.video.getUploadLimits`, {
      headers: { authorization: `Bearer ${token}` },
      timeoutMs: settings.timeoutMs,
      maxBytes: SMALL_ANSWER_BYTES,
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    limits = (await res.json()) as typeof limits;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      reason: "unreachable",
      message: `Bluesky's video service (${base}) cannot be reached to check the account's video limits (${why}); nothing was scheduled, try again later`,
    };
  }
  if (limits.canUpload !== true) {
    const said = limits.message || limits.error || "no reason given";
    return { ok: false, reason: "refused", message: `Bluesky's video service says this account cannot upload videos now: ${said}` };
  }
  if (typeof limits.remainingDailyVideos === "number" && videos.length > limits.remainingDailyVideos) {
    return {
      ok: false,
      reason: "refused",
      message: `Bluesky allows this account ${limits.remainingDailyVideos} more video upload${limits.remainingDailyVideos === 1 ? "" : "s"} today; this post has ${videos.length}`,
    };
  }
  const bytes = videos.reduce((n, v) => n + v.size, 0);
  if (typeof limits.remainingDailyBytes === "number" && bytes > limits.remainingDailyBytes) {
    return {
      ok: false,
      reason: "refused",
      message: `Bluesky allows this account ${limits.remainingDailyBytes.toLocaleString("en-US")} more bytes of video today; this post's video is ${bytes.toLocaleString("en-US")} bytes`,
    };
  }
  return { ok: true };
}
