import type { z } from "zod";
import { blueskyAuthorizeBody, connectAccountBody, mastodonAuthorizeBody, mastodonCallbackQuery } from "../accounts/schemas";
import { triggerTokenRefreshBody } from "../dashboard/triggerTokenRefresh";
import { changePasswordBody, createApiTokenBody, signInBody } from "../auth/schemas";
import { retryFailedJobBody } from "../dashboard/failedJobs";
import { exportPostsQuery } from "../lifecycle/exportPosts";
import { importFileDocumented } from "../posts/importPosts";
import { createRepostBody, listRepostsQuery } from "../posts/reposts";
import { createPostBody, listPostsQuery, updatePostBody } from "../posts/schemas";
import { createWebhookBody } from "../webhooks/schemas";
import * as res from "./responses";
import { jsonRpcMessage } from "./requestShapes";

/**
 * Every HTTP route of the API, in one list: the OpenAPI document is generated from it and
 * test/automation/openapi.test.ts fails when an `app/api/**\/route.ts` and this list disagree.
 * Request schemas are the very zod schemas the handlers parse with.
 */

/** none: public; user: API token or session; admin: role admin; metrics: admin or METRICS_TOKEN; bearer: API token only. */
export type RouteAuth = "none" | "user" | "admin" | "metrics" | "bearer";
export type Method = "get" | "post" | "patch" | "delete";

export interface RouteResponse {
  description: string;
  /** JSON body schema; absent for empty bodies. */
  json?: z.ZodType;
  /** Non-JSON bodies: media type → description. */
  other?: string;
}

export interface ApiRoute {
  method: Method;
  /** OpenAPI path, `{id}` for a path parameter. */
  path: string;
  summary: string;
  auth: RouteAuth;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Other media types the body may come as (besides JSON), with a description. */
  bodyOther?: Record<string, string>;
  /** A non-JSON request body (raw bytes): its description. */
  rawBody?: string;
  responses: Record<number, RouteResponse>;
}

const post = (description: string): RouteResponse => ({ description, json: res.onePost });

export const apiRoutes: ApiRoute[] = [
  { method: "get", path: "/api/health", summary: "Health of the database and the job queue", auth: "none",
    responses: { 200: { description: "all parts up", json: res.health }, 503: { description: "a part is down", json: res.health } } },
  { method: "get", path: "/api/openapi.json", summary: "This OpenAPI 3.1 document", auth: "none",
    responses: { 200: { description: "the document", other: "application/json" } } },
  { method: "get", path: "/api/me", summary: "The signed-in user", auth: "user",
    responses: { 200: { description: "the user", json: res.meResponse } } },
  { method: "post", path: "/api/auth/signin", summary: "Sign in; sets the session cookie", auth: "none", body: signInBody,
    responses: {
      200: { description: "signed in", json: res.meResponse },
      401: { description: "wrong email or password", json: res.errorResponse },
      403: { description: "sent from another site (login CSRF; code forbidden)", json: res.errorResponse },
      429: { description: "too many failed sign-ins for this email or address: wait Retry-After seconds", json: res.errorResponse },
    } },
  { method: "post", path: "/api/auth/signout", summary: "Sign out; clears the session cookie", auth: "none",
    responses: { 200: { description: "signed out", json: res.signedOut }, 403: { description: "sent from another site (code forbidden)", json: res.errorResponse } } },
  { method: "post", path: "/api/auth/signout-everywhere", summary: "End every browser session of yours, this one too (API tokens stay)", auth: "user",
    responses: { 200: { description: "signed out everywhere; clears the session cookie", json: res.endedSessions } } },
  { method: "post", path: "/api/auth/password", summary: "Change your password; your other sessions end", auth: "user", body: changePasswordBody,
    responses: {
      200: { description: "changed", json: res.passwordChanged },
      403: { description: "the current password is wrong, or a session cookie sent from another site (code forbidden)", json: res.errorResponse },
    } },

  { method: "get", path: "/api/tokens", summary: "Your API tokens (never the tokens themselves)", auth: "user",
    responses: { 200: { description: "the tokens", json: res.tokenList } } },
  { method: "post", path: "/api/tokens", summary: "Create an API token; the answer shows it this once", auth: "user", body: createApiTokenBody,
    responses: { 201: { description: "the new token", json: res.createdToken } } },
  { method: "delete", path: "/api/tokens/{id}", summary: "Revoke one of your API tokens", auth: "user",
    responses: { 204: { description: "revoked" } } },

  { method: "get", path: "/api/accounts", summary: "Your connected accounts", auth: "user",
    responses: { 200: { description: "the accounts", json: res.accountList } } },
  { method: "post", path: "/api/accounts", summary: "Connect an account with an app password", auth: "user", body: connectAccountBody,
    responses: {
      200: { description: "the same account connected again", json: res.connectedAccount },
      201: { description: "a new account", json: res.connectedAccount },
      422: { description: "the platform refused the app password", json: res.errorResponse },
      429: { description: "too many account connections this hour: wait Retry-After seconds", json: res.errorResponse },
      502: { description: "the account's server did not answer", json: res.errorResponse },
    } },
  { method: "get", path: "/api/accounts/{id}", summary: "One of your accounts", auth: "user",
    responses: { 200: { description: "the account", json: res.oneAccount } } },
  { method: "delete", path: "/api/accounts/{id}", summary: "Disconnect an account", auth: "user",
    responses: { 204: { description: "removed" } } },

  { method: "get", path: "/api/posts", summary: "Your posts, newest scheduled first, a page at a time", auth: "user", query: listPostsQuery,
    responses: { 200: { description: "a page of posts", json: res.postPage } } },
  { method: "post", path: "/api/posts", summary: "Schedule a post (or a thread) on one or more accounts", auth: "user", body: createPostBody,
    responses: { 201: post("the scheduled post"),
      422: { description: "scheduled in the past, or content a platform refuses (branch video: also Bluesky's video service refusing the account's upload today)", json: res.errorResponse },
      502: { description: "branch video: the video service (or the account's PDS) could not be asked whether the video may be posted; nothing was stored (code upstream_unreachable)", json: res.errorResponse } } },
  { method: "get", path: "/api/posts/export", summary: "Every post of yours as a download: JSON, or CSV with format=csv", auth: "user", query: exportPostsQuery,
    responses: { 200: { description: "the posts (Content-Disposition: attachment)", json: res.postsExport, other: "text/csv" } } },
  { method: "get", path: "/api/posts/{id}", summary: "One post with each delivery's attempt history", auth: "user",
    responses: { 200: post("the post") } },
  { method: "patch", path: "/api/posts/{id}", summary: "Edit or reschedule a post (the job is moved, never duplicated)", auth: "user", body: updatePostBody,
    responses: { 200: post("the updated post"), 409: { description: "already publishing or published", json: res.errorResponse },
      422: { description: "scheduled in the past", json: res.errorResponse } } },
  { method: "delete", path: "/api/posts/{id}", summary: "Cancel a post", auth: "user",
    responses: { 200: post("the cancelled post"), 409: { description: "already published", json: res.errorResponse } } },
  { method: "get", path: "/api/posts/{id}/images/{segment}/{n}", summary: "Bytes of image n of part segment (0 = first post)", auth: "user",
    responses: { 200: { description: "the image", other: "image/*" } } },
  // bskyrich: scheduled reposts (contract v1.3).
  { method: "get", path: "/api/reposts", summary: "Your scheduled reposts, newest scheduled first", auth: "user", query: listRepostsQuery,
    responses: { 200: { description: "the reposts", json: res.repostList } } },
  { method: "post", path: "/api/reposts", summary: "Schedule a repost of a Bluesky post on one or more accounts", auth: "user", body: createRepostBody,
    responses: { 201: { description: "the scheduled repost", json: res.oneRepost }, 422: { description: "scheduled in the past, or an account that cannot repost", json: res.errorResponse } } },
  { method: "get", path: "/api/reposts/{id}", summary: "One repost with each delivery's attempt history", auth: "user",
    responses: { 200: { description: "the repost", json: res.oneRepost } } },
  { method: "delete", path: "/api/reposts/{id}", summary: "Cancel a repost", auth: "user",
    responses: { 200: { description: "the cancelled repost", json: res.oneRepost }, 409: { description: "already published", json: res.errorResponse } } },
  { method: "post", path: "/api/deliveries/{id}/retry", summary: "Try a failed delivery again now", auth: "user",
    responses: { 202: post("the post of the delivery") } },

  // branch webhooks (docs/API.md "Webhooks")
  { method: "get", path: "/api/webhooks", summary: "Your webhook endpoints (never their secrets)", auth: "user",
    responses: { 200: { description: "the webhooks", json: res.webhookList } } },
  { method: "post", path: "/api/webhooks", summary: "Add a webhook endpoint; the answer shows its signing secret this once", auth: "user", body: createWebhookBody,
    responses: {
      201: { description: "the new webhook with its secret", json: res.createdWebhook },
      422: { description: "the URL points at a private, loopback or link-local address (not in OUTBOUND_ALLOWLIST), or too many webhooks", json: res.errorResponse },
    } },
  { method: "delete", path: "/api/webhooks/{id}", summary: "Delete a webhook endpoint and its delivery log", auth: "user",
    responses: { 204: { description: "deleted" } } },
  { method: "post", path: "/api/webhooks/{id}/test", summary: "Send a webhook.test event to this endpoint (also while paused)", auth: "user",
    responses: { 202: { description: "queued; follow it in the delivery log", json: res.testEventQueued } } },
  { method: "post", path: "/api/webhooks/{id}/resume", summary: "Resume a paused endpoint; events held while paused are sent", auth: "user",
    responses: { 200: { description: "the webhook, active again", json: res.oneWebhook } } },
  { method: "get", path: "/api/webhooks/{id}/deliveries", summary: "The endpoint's 50 newest deliveries, each with every try", auth: "user",
    responses: { 200: { description: "the delivery log", json: res.webhookDeliveryLog } } },

  { method: "post", path: "/api/mcp", summary: "MCP server (streamable HTTP, stateless): JSON-RPC messages", auth: "bearer", body: jsonRpcMessage,
    responses: {
      200: { description: "the JSON-RPC answer", other: "application/json" },
      202: { description: "a notification was accepted" },
      406: { description: "Accept must list both application/json and text/event-stream (MCP transport rule)" },
      413: { description: "request body over 1 MiB (a JSON-RPC error)", other: "application/json" },
      415: { description: "body not sent as Content-Type: application/json (a JSON-RPC error)", other: "application/json" },
    } },

  { method: "post", path: "/api/admin/refresh-tokens", summary: "Queue a token refresh of one or every account", auth: "admin", body: triggerTokenRefreshBody,
    responses: { 202: { description: "queued", json: res.jobQueued } } },
  { method: "get", path: "/api/admin/queues", summary: "Job counts per queue and the job schedulers", auth: "admin",
    responses: { 200: { description: "the queues", json: res.queueOverview } } },
  { method: "get", path: "/api/admin/jobs", summary: "Recent failed jobs", auth: "admin",
    responses: { 200: { description: "failed jobs", json: res.failedJobs } } },
  { method: "post", path: "/api/admin/jobs/retry", summary: "Retry a failed job", auth: "admin", body: retryFailedJobBody,
    responses: { 202: { description: "retried", json: res.jobRetried } } },
  // Branch idem (issue 17): bulk import.
  { method: "post", path: "/api/posts/import", summary: "Import a CSV or JSON file of posts: all rows valid, or nothing stored", auth: "user",
    body: importFileDocumented,
    bodyOther: { "text/csv": "A header line naming the columns text, scheduledAt, timeZone, accounts; one post per line (docs/API.md)." },
    responses: {
      201: { description: "every row scheduled", json: res.importedPosts },
      422: { description: "some rows are invalid (code import_invalid, details.rows: [{row, line?, message}]); nothing stored", json: res.errorResponse },
    } },
  { method: "get", path: "/api/admin/accounts", summary: "Every user's accounts, those needing re-auth first", auth: "admin",
    responses: { 200: { description: "the accounts", json: res.adminAccounts } } },
  { method: "get", path: "/api/admin/workers", summary: "Workers connected per queue", auth: "admin",
    responses: { 200: { description: "the workers", json: res.workers } } },
  { method: "get", path: "/api/admin/backups", summary: "Backup archives and the backup schedule", auth: "admin",
    responses: { 200: { description: "the backups", json: res.backups } } },
  { method: "get", path: "/api/admin/activity", summary: "Publish attempts per hour, last 12 hours", auth: "admin",
    responses: { 200: { description: "the activity", json: res.activity } } },
  { method: "get", path: "/api/metrics", summary: "Prometheus metrics", auth: "metrics",
    responses: { 200: { description: "Prometheus text format", other: "text/plain" } } },

  // ---- branch media: images uploaded once, referenced by posts as {mediaId, alt} ----
  { method: "post", path: "/api/media", summary: "Upload one image, mp4 video or WebVTT caption file (raw bytes as the body); image metadata stripped, thumbnail made", auth: "user",
    rawBody:
      "The file itself (PNG, JPEG, WebP or GIF image; branch video: an mp4 video or a WebVTT caption file), not multipart. Its type is judged by its bytes; Content-Type is ignored.",
    responses: {
      201: { description: "stored (the same bytes uploaded again answer the same medium)", json: res.oneMedia },
      400: { description: "empty body (code bad_request)", json: res.errorResponse },
      413: { description: "over MEDIA_MAX_BYTES (images, captions) or MEDIA_MAX_VIDEO_BYTES (mp4), counted while streaming (code payload_too_large)", json: res.errorResponse },
      415: { description: "not a PNG, JPEG, WebP, GIF, mp4 or WebVTT file by its bytes (code unsupported_media_type)", json: res.errorResponse },
      422: { description: "looks like an image but does not decode, or a caption file that is not UTF-8 (code unprocessable)", json: res.errorResponse },
    } },
  { method: "get", path: "/api/media/{id}", summary: "The bytes of one of your images, videos or caption files", auth: "user",
    responses: { 200: { description: "the file, with its type (image/*, video/mp4 or text/vtt)", other: "image/*" } } },
  { method: "get", path: "/api/media/{id}/thumbnail", summary: "A WebP thumbnail (at most 320 px a side) of one of your images", auth: "user",
    responses: { 200: { description: "the thumbnail", other: "image/webp" } } },
  // branch oauth: Bluesky OAuth (docs/BLUESKY_OAUTH.md)
  { method: "post", path: "/api/accounts/bluesky/authorize", summary: "Start connecting a Bluesky account through OAuth: the URL to send the browser to", auth: "user", body: blueskyAuthorizeBody,
    responses: {
      200: { description: "the Bluesky server's sign-in page", json: res.blueskyAuthorizeUrl },
      422: { description: "the handle cannot be resolved, or its server offers no OAuth", json: res.errorResponse },
      429: { description: "too many account connections this hour: wait Retry-After seconds", json: res.errorResponse },
    } },
  { method: "get", path: "/api/accounts/bluesky/callback", summary: "Where the Bluesky server sends the browser back (OAuth redirect URI)", auth: "none",
    responses: { 303: { description: "to /accounts, with ?connected=<handle> or ?error=<why>" } } },
  { method: "get", path: "/oauth-client-metadata.json", summary: "Bluesky OAuth client metadata (the client_id); https PUBLIC_URL only", auth: "none",
    responses: { 200: { description: "the client metadata", json: res.blueskyClientMetadata },
      404: { description: "no https PUBLIC_URL: the loopback client needs none", json: res.errorResponse } } },
  { method: "get", path: "/oauth/jwks.json", summary: "The public key of the Bluesky OAuth client; https PUBLIC_URL only", auth: "none",
    responses: { 200: { description: "the JWKS", json: res.blueskyJwks },
      404: { description: "no https PUBLIC_URL: the loopback client signs nothing", json: res.errorResponse } } },
  // branch mastodon
  { method: "get", path: "/api/platforms", summary: "Every platform's limits and features, and each of the user's accounts' own (what the composer counts against)", auth: "user",
    responses: { 200: { description: "the platforms", json: res.platformList } } },
  { method: "post", path: "/api/accounts/mastodon/authorize", summary: "Start connecting a Mastodon account: the browser visits authorizeUrl", auth: "user",
    body: mastodonAuthorizeBody,
    responses: {
      200: { description: "where to consent", json: res.mastodonAuthorize },
      422: { description: "the instance refused PostMore, or its address is not allowed", json: res.errorResponse },
      429: { description: "too many account connections this hour: wait Retry-After seconds", json: res.errorResponse },
      502: { description: "the instance did not answer", json: res.errorResponse },
    } },
  { method: "get", path: "/api/accounts/mastodon/callback", summary: "Where the instance sends the browser back; stores the account", auth: "user",
    query: mastodonCallbackQuery,
    responses: {
      303: { description: "connected: on to /accounts" },
      400: { description: "unknown, used or expired state (start again)", json: res.errorResponse },
      502: { description: "the instance did not answer", json: res.errorResponse },
    } },
];
