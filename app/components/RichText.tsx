import { tokenize } from "./richtext";

/** A post's text with its links, mentions and hashtags shown as Bluesky will link them. */
export function RichText({ text }: { text: string }) {
  return (
    <>
      {tokenize(text).map((t, i) => {
        if (t.kind === "link") {
          const href = /^https?:\/\//i.test(t.text) ? t.text : `https://${t.text}`;
          return (
            <a key={i} href={href} target="_blank" rel="noreferrer">
              {t.text}
            </a>
          );
        }
        if (t.kind === "mention") {
          return (
            <a key={i} href={`https://bsky.app/profile/${t.text.slice(1)}`} target="_blank" rel="noreferrer">
              {t.text}
            </a>
          );
        }
        if (t.kind === "tag") {
          return (
            <a key={i} href={`https://bsky.app/hashtag/${encodeURIComponent(t.text.slice(1))}`} target="_blank" rel="noreferrer">
              {t.text}
            </a>
          );
        }
        return <span key={i}>{t.text}</span>;
      })}
    </>
  );
}
