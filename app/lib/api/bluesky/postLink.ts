/** Pure (no I/O): also used to check requests and by the composer's preview. */

/** A post named by a person: at://<did or handle>/app.bsky.feed.post/<rkey> or a bsky.app post URL. */
export interface PostRef {
  /** DID or handle, as given. */
  repo: string;
  rkey: string;
}

export interface StrongRef {
  uri: string;
  cid: string;
}

const REPO = "(did:[a-z]+:[a-zA-Z0-9._:%-]+|[a-zA-Z0-9.-]+\\.[a-zA-Z0-9-]+)";
const RKEY = "([a-zA-Z0-9._:~-]{1,512})";
const AT_URI = new RegExp(`^at://${REPO}/app\\.bsky\\.feed\\.post/${RKEY}$`);
const WEB_URL = new RegExp(`^https://(?:www\\.)?bsky\\.app/profile/${REPO}/post/${RKEY}/?$`);

/** The post a quote or repost subject names; undefined when it names none. */
export function parsePostRef(input: string): PostRef | undefined {
  const m = AT_URI.exec(input.trim()) ?? WEB_URL.exec(input.trim());
  if (!m) return undefined;
  const [, repo, rkey] = m as unknown as [string, string, string];
  return { repo, rkey };
}
