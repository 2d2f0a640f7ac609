/**
 * The web page that shows a post. bsky.app can only show posts it has indexed: those of
 * accounts hosted on Bluesky's own network (PDS hosts under bsky.network, or bsky.social).
 * For any other PDS (self-hosted, a test PDS) we cannot know whether the relay crawls it, so
 * the honest link is the record itself on the account's own PDS (its JSON via getRecord).
 */
export function blueskyViewUrl(service: string, uri: string): string | null {
  const match = /^at:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match) return null;
  const [, repo, collection, rkey] = match as unknown as [string, string, string, string];
  let host: string;
  try {
    host = new URL(service).hostname;
  } catch {
    return null;
  }
  if (host === "bsky.social" || host.endsWith(".bsky.network")) {
    return collection === "app.bsky.feed.post" ? `https://bsky.app/profile/${repo}/post/${rkey}` : null;
  }
  const url = new URL("/xrpc/com.atproto.repo.getRecord", service);
  url.search = new URLSearchParams({ repo, collection, rkey }).toString();
  return url.toString();
}
