import type { ImageInput, PostContent, PostSegment, VideoInput } from "../api/platform";
import type { PostContentJson, PostImageJson, StoredVideo } from "../db/queries/posts";

/**
 * A stored post (first segment's text + content JSON) as the platform-neutral content to
 * publish; `image` turns each stored image reference into what a platform uploads
 * (lib/media/postImages.ts loads the bytes from the media store).
 */
export function segmentsOf(
  text: string,
  content: PostContentJson,
  image: (i: PostImageJson) => ImageInput,
  video?: (v: StoredVideo) => VideoInput,
): PostContent {
  const images = (list?: PostImageJson[]) => (list?.length ? { images: list.map(image) } : {});
  const videoOf = (v?: StoredVideo) => (v && video ? { video: video(v) } : {});
  const first: PostSegment = { text, ...images(content.images), ...videoOf(content.video) };
  const rest: PostSegment[] = (content.thread ?? []).map((s) => ({ text: s.text, ...images(s.images), ...videoOf(s.video) }));
  return {
    segments: [first, ...rest],
    ...(content.langs?.length ? { langs: content.langs } : {}),
    ...(content.rich ? { rich: content.rich } : {}),
  };
}
