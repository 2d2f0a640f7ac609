import type { ImageInput, PostContent, PostSegment, VideoInput } from "../api/platform";
import type { PostContentJson, PostImageJson, StoredVideo } from "../db/queries/posts";

/**
 * A stored post (first segment's text + content JSON) as the platform-neutral content to
 * publish; `image` turns each stored image reference into what a platform uploads
 * (lib/media/postImages.ts loads the bytes from the media store).
 */
export function segmentsOf<S = PostImageJson, I = ImageInput>(
  text: string,
  content: PostContentJson<S>,
  image: (i: S) => I,
  video?: (v: StoredVideo) => VideoInput,
): PostContent<I> {
  const images = (list?: S[]) => (list?.length ? { images: list.map(image) } : {});
  const videoOf = (v?: StoredVideo) => (v && video ? { video: video(v) } : {});
  const first: PostSegment<I> = { text, ...images(content.images), ...videoOf(content.video) };
  const rest: Array<PostSegment<I>> = (content.thread ?? []).map((s) => ({ text: s.text, ...images(s.images), ...videoOf(s.video) }));
  return {
    segments: [first, ...rest],
    ...(content.langs?.length ? { langs: content.langs } : {}),
    ...(content.rich ? { rich: content.rich } : {}),
  };
}
