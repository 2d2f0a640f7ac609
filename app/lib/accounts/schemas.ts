import { z } from "zod";

/** POST /api/accounts: connect an account with an app password. Unknown fields are refused. */
export const connectAccountBody = z.strictObject({
  platform: z.enum(["bluesky"], { message: 'platform must be "bluesky"' }),
  identifier: z.string().trim().min(1, "identifier (handle, DID or email) is required").max(512),
  appPassword: z.string().min(1, "appPassword is required").max(256),
  service: z.string().trim().min(1).max(2048).optional(),
});
export type ConnectAccountBody = z.infer<typeof connectAccountBody>;

/** POST /api/accounts/bluesky/authorize (branch oauth): start connecting an account through Bluesky OAuth. */
export const blueskyAuthorizeBody = z.strictObject({
  handle: z.string().trim().min(1, "handle is required (for example alice.bsky.social)").max(253),
});
// branch mastodon
/** POST /api/accounts/mastodon/authorize: the instance to connect an account on. */
export const mastodonAuthorizeBody = z.strictObject({
  instance: z.string().trim().min(1, "instance (for example https://mastodon.social) is required").max(2048),
});
/** GET /api/accounts/mastodon/callback: what the instance sends back. */
export const mastodonCallbackQuery = z.object({
  code: z.string().min(1, "code is required").max(2048),
  state: z.string().min(1, "state is required").max(512),
});
