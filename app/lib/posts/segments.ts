import type { ImageInput, PostContent, PostSegment } from "../api/platform";
import type { PostContentJson, PostImageJson } from "../db/queries/posts";

/**
 * A stored post (first segment's text + content JSON) as the platform-neutral content to
 * publish; `image` turns each stored image reference into what a platform uploads
 * (lib/media/postImages.ts loads the bytes from the media store).
 */
export function segmentsOf(text: string, content: PostContentJson, image: (i: PostImageJson) => ImageInput): PostContent {
  const images = (list?: PostImageJson[]) => (list?.length ? { images: list.map(image) } : {});
  const first: PostSegment = { text, ...images(content.images) };
  const rest: PostSegment[] = (content.thread ?? []).map((s) => ({ text: s.text, ...images(s.images) }));
  return {
    segments: [first, ...rest],
    ...(content.langs?.length ? { langs: content.langs } : {}),
    ...(content.rich ? { rich: content.rich } : {}),
  };
}
