import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * branch video: a loopback double of Bluesky's video service (video.bsky.app cannot be reached
 * offline), speaking its three XRPC endpoints as the real one does:
 * - app.bsky.video.getUploadLimits (service auth, lxm = that method, aud = this service's did:web);
 * - app.bsky.video.uploadVideo?did=&name= (service auth from the account's PDS, lxm =
 *   com.atproto.repo.uploadBlob): the mp4 is handed on to the real PDS with that very token,
 *   as the real service hands on the transcoded file, so the blob it returns is real;
 * - app.bsky.video.getJobStatus?jobId= (no auth): CREATED at upload, COMPLETED (or FAILED)
 *   when asked next.
 * Faults: `limits` (what getUploadLimits answers), `failJobs` (jobs fail with this message),
 * `reset` (every connection is cut without an answer: the service is unreachable).
 */
export interface VideoServiceDouble {
  url: string;
  did: string;
  limits: { canUpload: boolean; remainingDailyVideos?: number; remainingDailyBytes?: number; message?: string; error?: string };
  failJobs: string | undefined;
  reset: boolean;
  /** Calls per endpoint, and the tokens' claims as seen (for checks on aud and lxm). */
  calls: { limits: number; uploads: number; statuses: number };
  claims: Array<{ iss: string; aud: string; lxm: string }>;
  close(): Promise<void>;
}

type Job = { jobId: string; did: string; state: string; blob?: unknown; error?: string; message?: string; failWith?: string };

const claimsOf = (req: http.IncomingMessage) => {
  const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
  try {
    return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iss: string; aud: string; lxm: string };
  } catch {
    return undefined;
  }
};

export async function startVideoServiceDouble(pdsUrl: string): Promise<VideoServiceDouble> {
  const jobs = new Map<string, Job>();
  let nextJob = 1;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (state.reset) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? "/", "http://double");
    const claims = claimsOf(req);
    if (claims) state.claims.push({ iss: claims.iss, aud: claims.aud, lxm: claims.lxm });
    try {
      if (url.pathname === "/xrpc/app.bsky.video.getUploadLimits") {
        state.calls.limits++;
        if (!claims || claims.aud !== state.did || claims.lxm !== "app.bsky.video.getUploadLimits") return send(res, 401, { error: "BadJwt", message: "wrong audience or method" });
        return send(res, 200, state.limits);
      }
      if (url.pathname === "/xrpc/app.bsky.video.uploadVideo" && req.method === "POST") {
        state.calls.uploads++;
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        const did = url.searchParams.get("did") ?? "";
        if (!claims || claims.iss !== did || claims.lxm !== "com.atproto.repo.uploadBlob") return send(res, 401, { error: "BadJwt", message: "token not for uploadBlob by this did" });
        if (body.toString("latin1", 4, 8) !== "ftyp") return send(res, 400, { error: "InvalidVideo", message: "not an mp4" });
        const job: Job = { jobId: `job-${nextJob++}`, did, state: "JOB_STATE_CREATED" };
        if (state.failJobs) job.failWith = state.failJobs;
        else {
          // As the real service does: the (here untouched) video goes to the account's PDS with the account's token.
          const put = await fetch(`${pdsUrl}/xrpc/com.atproto.repo.uploadBlob`, {
            method: "POST",
            headers: { authorization: req.headers.authorization ?? "", "content-type": "video/mp4" },
            body,
          });
          const answer = (await put.json()) as { blob?: unknown; message?: string };
          if (!put.ok) return send(res, 502, { error: "UploadFailed", message: `the PDS refused the blob: ${answer.message ?? put.status}` });
          job.blob = answer.blob;
        }
        jobs.set(job.jobId, job);
        return send(res, 200, { jobStatus: { jobId: job.jobId, did, state: job.state } });
      }
      if (url.pathname === "/xrpc/app.bsky.video.getJobStatus") {
        state.calls.statuses++;
        const job = jobs.get(url.searchParams.get("jobId") ?? "");
        if (!job) return send(res, 404, { error: "NotFound", message: "no such job" });
        if (job.failWith) Object.assign(job, { state: "JOB_STATE_FAILED", error: "Video processing failed", message: job.failWith });
        else job.state = "JOB_STATE_COMPLETED";
        return send(res, 200, { jobStatus: { jobId: job.jobId, did: job.did, state: job.state, blob: job.blob, error: job.error, message: job.message } });
      }
      send(res, 404, { error: "MethodNotImplemented" });
    } catch (err) {
      send(res, 500, { error: "InternalServerError", message: String(err) });
    }
  };
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const state: VideoServiceDouble = {
    url: `http://127.0.0.1:${port}`,
    did: `did:web:127.0.0.1%3A${port}`,
    limits: { canUpload: true, remainingDailyVideos: 25, remainingDailyBytes: 10_000_000_000 },
    failJobs: undefined,
    reset: false,
    calls: { limits: 0, uploads: 0, statuses: 0 },
    claims: [],
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return state;
}
