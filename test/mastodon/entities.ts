/**
 * JSON builders for the Mastodon test double: each returns an entity as a real instance
 * would send it (snake_case, nullable fields present). The double validates every one of
 * them against the official schema before it leaves, so a mistake here fails the test.
 */

export interface UserRecord {
  id: string;
  username: string;
  createdAt: Date;
  statusesCount: number;
}

export interface MediaRecord {
  id: string;
  ownerId: string;
  description: string | null;
  mimeType: string;
  bytes: number;
  /** GET /api/v1/media/:id answers 206 this many more times before the file is ready. */
  pollsLeft: number;
  statusId: string | null;
}

export interface StatusRecord {
  id: string;
  accountId: string;
  text: string;
  spoilerText: string;
  visibility: "public" | "unlisted" | "private" | "direct";
  language: string | null;
  inReplyToId: string | null;
  inReplyToAccountId: string | null;
  mediaIds: string[];
  createdAt: Date;
  applicationName: string | null;
  idempotencyKey: string | null;
}

export function accountJson(base: string, user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    acct: user.username,
    display_name: user.username,
    locked: false,
    bot: false,
    discoverable: true,
    indexable: true,
    group: false,
    created_at: user.createdAt.toISOString(),
    note: "",
    url: `${base}/@${user.username}`,
    uri: `${base}/users/${user.username}`,
    avatar: `${base}/avatars/original/missing.png`,
    avatar_static: `${base}/avatars/original/missing.png`,
    header: `${base}/headers/original/missing.png`,
    header_static: `${base}/headers/original/missing.png`,
    followers_count: 0,
    following_count: 0,
    statuses_count: user.statusesCount,
    last_status_at: null,
    hide_collections: null,
    noindex: false,
    emojis: [],
    roles: [],
    fields: [],
  };
}

export function credentialAccountJson(base: string, user: UserRecord) {
  return {
    ...accountJson(base, user),
    source: { privacy: "public", sensitive: false, language: "en", note: "", fields: [], follow_requests_count: 0, indexable: true, discoverable: true, hide_collections: false },
    role: { id: "-99", name: "", permissions: "0", color: "", highlighted: false },
  };
}

export function mediaJson(base: string, media: MediaRecord, ready: boolean) {
  return {
    id: media.id,
    type: "image",
    url: ready ? `${base}/system/media_attachments/${media.id}/original.png` : null,
    preview_url: `${base}/system/media_attachments/${media.id}/small.png`,
    remote_url: null,
    preview_remote_url: null,
    text_url: null,
    meta: ready ? { original: { width: 1, height: 1, size: "1x1", aspect: 1 } } : null,
    description: media.description,
    blurhash: null,
  };
}

export function statusJson(
  base: string,
  status: StatusRecord,
  account: ReturnType<typeof accountJson>,
  media: MediaRecord[],
) {
  return {
    id: status.id,
    created_at: status.createdAt.toISOString(),
    in_reply_to_id: status.inReplyToId,
    in_reply_to_account_id: status.inReplyToAccountId,
    sensitive: status.spoilerText !== "",
    spoiler_text: status.spoilerText,
    visibility: status.visibility,
    language: status.language,
    uri: `${base}/users/${account.username}/statuses/${status.id}`,
    url: `${base}/@${account.username}/${status.id}`,
    replies_count: 0,
    reblogs_count: 0,
    favourites_count: 0,
    edited_at: null,
    content: toHtml(status.text),
    reblog: null,
    application: status.applicationName ? { name: status.applicationName, website: null } : null,
    account,
    media_attachments: media.map((m) => mediaJson(base, m, true)),
    mentions: [],
    tags: [],
    emojis: [],
    card: null,
    poll: null,
  };
}

export function instanceJson(base: string, host: string, limits: { maxCharacters: number; maxMedia: number; descriptionLimit: number }) {
  return {
    domain: host,
    title: "Mastodon test double",
    version: "4.4.0",
    source_url: "https://github.com/mastodon/mastodon",
    description: "A loopback stand-in for a Mastodon server, used by PostMore's tests.",
    usage: { users: { active_month: 1 } },
    thumbnail: { url: `${base}/packs/media/images/preview.png` },
    icon: [],
    languages: ["en"],
    configuration: {
      urls: { streaming: base.replace(/^http/, "ws"), status: null },
      vapid: { public_key: "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M=" },
      accounts: { max_featured_tags: 10, max_pinned_statuses: 5 },
      statuses: {
        max_characters: limits.maxCharacters,
        max_media_attachments: limits.maxMedia,
        characters_reserved_per_url: 23,
      },
      media_attachments: {
        supported_mime_types: ["image/jpeg", "image/png", "image/gif", "image/webp"],
        description_limit: limits.descriptionLimit,
        image_size_limit: 16_777_216,
        image_matrix_limit: 33_177_600,
        video_size_limit: 103_809_024,
        video_frame_rate_limit: 120,
        video_matrix_limit: 8_294_400,
      },
      polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 },
      translation: { enabled: false },
    },
    registrations: { enabled: false, approval_required: false, message: null },
    api_versions: { mastodon: 6 },
    contact: { email: "admin@example.test", account: null },
    rules: [],
  };
}

export function applicationJson(app: { id: string; name: string; website: string | null; scopes: string[]; redirectUris: string[]; clientId: string; clientSecret: string }) {
  return {
    id: app.id,
    name: app.name,
    website: app.website,
    scopes: app.scopes,
    redirect_uri: app.redirectUris.join("\n"),
    redirect_uris: app.redirectUris,
    client_id: app.clientId,
    client_secret: app.clientSecret,
    client_secret_expires_at: 0,
    vapid_key: "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M=",
  };
}

/** Mastodon renders plain text as paragraphs, line breaks as <br />, with HTML escaped. */
export function toHtml(text: string): string {
  const escape = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${escape(p).replaceAll("\n", "<br />")}</p>`)
    .join("");
}
