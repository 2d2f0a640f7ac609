"use client";

import { useMemo } from "react";
import { tokenize } from "../../components/richtext";
import type { DraftSegment } from "./draft";
import { LABELS, quoteTarget, type DraftRich } from "./richOptions";

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** One post as Bluesky will show it: linked text, then its one embed (quote, images, or the first link's card). */
function PreviewPost({ segment, rich, first, handle }: { segment: DraftSegment; rich: DraftRich; first: boolean; handle: string }) {
  const tokens = useMemo(() => tokenize(segment.text), [segment.text]);
  const link = tokens.find((t) => t.kind === "link")?.text;
  const quote = first ? quoteTarget(rich.quote) : undefined;
  const warnings = first ? LABELS.filter((l) => rich.labels.includes(l.value)).map((l) => l.label) : [];
  const card = !quote && segment.images.length === 0 && !segment.video && rich.linkCard && link;
  return (
    <article className="preview-post" aria-label={first ? "Preview of the post" : "Preview of a reply in the thread"}>
      <p className="small muted" style={{ margin: 0 }}>
        @{handle}
      </p>
      {warnings.length > 0 && (
        <p className="badge badge-warn" role="note">
          Content warning: {warnings.join(", ")}
        </p>
      )}
      <p className="preview-text">
        {tokens.map((t, i) => (t.kind === "text" ? <span key={i}>{t.text}</span> : <span key={i} className={t.kind}>{t.text}</span>))}
      </p>
      {segment.images.length > 0 && (
        <div className="preview-images">
          {segment.images.map((img) => (img.thumbnailUrl ? <img key={img.id} src={img.thumbnailUrl} alt={img.alt} /> : null))}
        </div>
      )}
      {segment.video && (
        <div className="preview-video" role="img" aria-label={`Video: ${segment.video.alt || "no description yet"}`}>
          <p className="small" style={{ margin: 0 }}>
            ▶ Video{segment.video.captions ? ` · captions (${segment.video.captions.lang})` : ""}
          </p>
          <p className="small muted" style={{ margin: 0 }}>
            {segment.video.alt || "Add alt text to describe the video"}
          </p>
        </div>
      )}
      {quote && (
        <div className="preview-quote" aria-label="Quoted post">
          <p className="small muted" style={{ margin: 0 }}>
            Quoting @{quote.repo}
          </p>
          <p className="small" style={{ margin: 0 }}>
            post {quote.rkey}
          </p>
        </div>
      )}
      {card && (
        <div className="preview-card" aria-label="Link card">
          <p className="small muted" style={{ margin: 0 }}>
            {hostOf(link)}
          </p>
          <p className="small" style={{ margin: 0 }}>
            The page&apos;s title, description and image are fetched when the post is published (a plain link if the page cannot be reached).
          </p>
        </div>
      )}
    </article>
  );
}

export function PostPreview({ segments, rich, handle }: { segments: DraftSegment[]; rich: DraftRich; handle: string }) {
  const reply =
    rich.replyControl === "everyone"
      ? null
      : rich.replyControl === "nobody"
        ? "Nobody can reply"
        : `Only ${{ mention: "people you mention", following: "people you follow", followers: "your followers" }[rich.replyControl]} can reply`;
  return (
    <section className="card preview" aria-label="Preview on Bluesky">
      <h2 className="small" style={{ marginTop: 0 }}>
        Preview on Bluesky
      </h2>
      {segments.map((s, i) => (
        <PreviewPost key={s.id} segment={s} rich={rich} first={i === 0} handle={handle} />
      ))}
      <p className="small muted" style={{ marginBottom: 0 }}>
        {[rich.langs.length > 0 ? `Languages: ${rich.langs.join(", ")}` : null, reply, rich.disableQuotes ? "Quote posts off" : null].filter(Boolean).join(" · ")}
      </p>
    </section>
  );
}
