/**
 * What the composer shows while typing: grapheme counts (limits come from each platform's
 * descriptor, GET /api/platforms) and where links, @mentions and #hashtags are, detected the
 * way the Bluesky app does (the server builds the real facets with @atproto/api's RichText).
 */

/** The counter turns amber this many characters before a platform's limit. */
export const WARN_BEFORE = 20;

const segmenter = typeof Intl !== "undefined" && "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : undefined;

export function graphemeCount(text: string): number {
  if (!segmenter) return Array.from(text).length;
  let n = 0;
  const it = segmenter.segment(text)[Symbol.iterator]();
  while (!it.next().done) n++;
  return n;
}


export type TokenKind = "text" | "link" | "mention" | "tag";
export interface Token {
  kind: TokenKind;
  text: string;
}

interface Span {
  start: number;
  end: number;
  kind: Exclude<TokenKind, "text">;
}

const MENTION = /(^|\s|\()@([a-zA-Z0-9.-]+)/g;
const LINK = /(^|\s|\()((https?:\/\/\S+)|([a-z][a-z0-9]*(\.[a-z0-9]+)+\/?\S*))/gim;
// Zero-width and soft-hyphen characters end a tag, as in the Bluesky app.
const TAG = /(^|\s)[#＃]((?!\ufe0f)[^\s\u00AD\u2060\u200A\u200B\u200C]*[^\d\s\p{P}\u00AD\u2060\u200A\u200B\u200C]+[^\s\u00AD\u2060\u200A\u200B\u200C]*)?/gu;
const HANDLE = /^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const TLD_OK = /\.[a-z]{2,}$/i;

function trimLinkEnd(s: string): string {
  let out = s.replace(/[.,;:!?]+$/, "");
  if (out.endsWith(")") && !out.includes("(")) out = out.slice(0, -1);
  return out;
}

function detect(text: string): Span[] {
  const spans: Span[] = [];
  for (const m of text.matchAll(MENTION)) {
    const handle = (m[2] ?? "").replace(/[.-]+$/, "");
    if (!HANDLE.test(handle)) continue;
    const start = (m.index ?? 0) + (m[1]?.length ?? 0);
    spans.push({ start, end: start + 1 + handle.length, kind: "mention" });
  }
  for (const m of text.matchAll(LINK)) {
    const raw = m[2] ?? "";
    const start = (m.index ?? 0) + (m[1]?.length ?? 0);
    const link = trimLinkEnd(raw);
    if (!m[3]) {
      const domain = link.split("/")[0] ?? "";
      if (!TLD_OK.test(domain)) continue;
    }
    spans.push({ start, end: start + link.length, kind: "link" });
  }
  for (const m of text.matchAll(TAG)) {
    if (!m[2]) continue;
    let tag = m[2].trim().replace(/\p{P}+$/gu, "");
    if (tag.length === 0 || tag.length > 64) continue;
    tag = tag.slice(0, 64);
    const start = (m.index ?? 0) + (m[1]?.length ?? 0);
    spans.push({ start, end: start + 1 + tag.length, kind: "tag" });
  }
  spans.sort((a, b) => a.start - b.start);
  // Overlaps (a mention inside a link): the first one wins.
  const out: Span[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (!last || s.start >= last.end) out.push(s);
  }
  return out;
}

/** The text cut into plain runs and the parts Bluesky will link. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  for (const s of detect(text)) {
    if (s.start > at) tokens.push({ kind: "text", text: text.slice(at, s.start) });
    tokens.push({ kind: s.kind, text: text.slice(s.start, s.end) });
    at = s.end;
  }
  if (at < text.length) tokens.push({ kind: "text", text: text.slice(at) });
  return tokens;
}

/** at://did:plc:x/app.bsky.feed.post/rkey → https://bsky.app/profile/did:plc:x/post/rkey */
export function bskyPostUrl(uri: string | null): string | undefined {
  const m = uri ? /^at:\/\/([^/]+)\/app\.bsky\.feed\.post\/([^/]+)$/.exec(uri) : null;
  return m ? `https://bsky.app/profile/${m[1]}/post/${m[2]}` : undefined;
}
