import type { PostContent, PostSegment } from "../api/platform";
import type { PostContentJson } from "../db/queries/posts";

/** A stored post (first segment's text + content JSON) as the platform-neutral content to publish. */
export function segmentsOf(text: string, content: PostContentJson): PostContent {
  const first: PostSegment = { text, ...(content.images?.length ? { images: content.images } : {}) };
  const rest: PostSegment[] = (content.thread ?? []).map((s) => ({ text: s.text, ...(s.images?.length ? { images: s.images } : {}) }));
  return {
    segments: [first, ...rest],
    ...(content.langs?.length ? { langs: content.langs } : {}),
    ...(content.rich ? { rich: content.rich } : {}),
  };
}
