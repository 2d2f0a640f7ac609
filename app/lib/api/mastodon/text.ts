/**
 * How Mastodon counts a status against `max_characters` (its StatusLengthValidator):
 * user-perceived characters (grapheme clusters), every URL with a protocol as
 * `characters_reserved_per_url` (23) however long it is, a remote mention `@user@host`
 * as `@user` only, and the content warning counted together with the text.
 */

export const MASTODON_URL_LENGTH = 23;

// A URL as Mastodon's extractor finds it: with a protocol, up to whitespace, without
// trailing punctuation that ends a sentence.
const URL_RE = /\bhttps?:\/\/[^\s<>"]+/giu;
const TRAILING_PUNCTUATION = /[.,:;!?'")\]}]+$/u;
// `@user@host`: only `@user` counts (the host is not shown in the rendered status).
const REMOTE_MENTION_RE = /(^|[^\p{L}\p{N}_/\\@])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)@[a-z0-9.-]*[a-z0-9]/giu;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function graphemes(text: string): number {
  return Array.from(segmenter.segment(text)).length;
}

export function countMastodonCharacters(
  text: string,
  options: { spoilerText?: string; urlLength?: number } = {},
): number {
  const urlLength = options.urlLength ?? MASTODON_URL_LENGTH;
  const placeholder = "x".repeat(urlLength);
  const countable = text
    .replace(URL_RE, (url) => {
      const trailing = TRAILING_PUNCTUATION.exec(url)?.[0] ?? "";
      return placeholder + trailing;
    })
    .replace(REMOTE_MENTION_RE, (_m, before: string, user: string) => `${before}@${user}`);
  return graphemes(options.spoilerText ?? "") + graphemes(countable);
}
