import { imageSize, type ImageInfo, type ImageInput, type PostContent, type VideoInput } from "../platform";
import { SELF_LABELS } from "../rich";
import { parsePostRef } from "./postLink";

/** Bluesky's limits (app.bsky.feed.post and app.bsky.embed.images lexicons, PDS blob limit). */
export const LIMITS = {
  graphemes: 300,
  bytes: 3000,
  imagesPerPost: 4,
  imageBytes: 1_000_000,
  altGraphemes: 10_000,
  segments: 25,
  langs: 3,
  // branch video: app.bsky.embed.video (one video, no images beside it).
  videoBytes: 100_000_000,
  videoAltGraphemes: 1000,
  captions: 20,
  captionBytes: 20_000,
} as const;

export const VIDEO_MIME_TYPES = ["video/mp4"] as const;
export const CAPTION_MIME_TYPES = ["text/vtt"] as const;

export const IMAGE_MIME_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export function graphemeLength(text: string): number {
  return Array.from(segmenter.segment(text)).length;
}

const LANG_TAG = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$/;

function imageProblems(image: ImageInput | ImageInfo, where: string): string[] {
  const problems: string[] = [];
  if (!IMAGE_MIME_TYPES.includes(image.mimeType as (typeof IMAGE_MIME_TYPES)[number])) {
    problems.push(`${where}: type ${JSON.stringify(image.mimeType)} is not accepted (use PNG, JPEG, WebP or GIF)`);
  }
  if (!image.alt || image.alt.trim() === "") {
    problems.push(`${where}: alt text is required (describe the image for people who cannot see it)`);
  } else if (graphemeLength(image.alt) > LIMITS.altGraphemes) {
    problems.push(`${where}: alt text is longer than ${LIMITS.altGraphemes} characters`);
  }
  const size = imageSize(image);
  if (size === undefined) problems.push(`${where}: the image data is not valid base64`);
  else if (size > LIMITS.imageBytes) {
    problems.push(`${where}: ${size.toLocaleString("en-US")} bytes is over Bluesky's limit of 1,000,000 bytes (1 MB)`);
  }
  return problems;
}

/** branch video: the video's own problems (type, size, alt, captions). */
function videoProblems(video: VideoInput, where: string): string[] {
  const problems: string[] = [];
  if (!(VIDEO_MIME_TYPES as readonly string[]).includes(video.mimeType)) problems.push(`${where}: a Bluesky video must be an mp4 (got ${video.mimeType})`);
  if (video.size > LIMITS.videoBytes) {
    problems.push(`${where}: ${video.size.toLocaleString("en-US")} bytes is over Bluesky's video limit of ${LIMITS.videoBytes.toLocaleString("en-US")} bytes (100 MB)`);
  }
  if (graphemeLength(video.alt) > LIMITS.videoAltGraphemes) problems.push(`${where}: alt text is longer than ${LIMITS.videoAltGraphemes} characters`);
  if (video.captions.length > LIMITS.captions) problems.push(`${where}: at most ${LIMITS.captions} caption files (got ${video.captions.length})`);
  for (const c of video.captions) {
    if (!LANG_TAG.test(c.lang)) problems.push(`${where}: ${JSON.stringify(c.lang)} is not a language tag for captions`);
    if (!(CAPTION_MIME_TYPES as readonly string[]).includes(c.mimeType)) problems.push(`${where}: captions (${c.lang}) must be a WebVTT file`);
    if (c.size > LIMITS.captionBytes) {
      problems.push(`${where}: the ${c.lang} caption file is ${c.size.toLocaleString("en-US")} bytes, over Bluesky's limit of ${LIMITS.captionBytes.toLocaleString("en-US")}`);
    }
  }
  return problems;
}

/** Everything a person must fix before the post can go out; empty when it can. */
export function validatePostContent(content: PostContent<ImageInput | ImageInfo>): string[] {
  const problems: string[] = [];
  const rich = content.rich;
  if (rich?.repost) {
    if (!parsePostRef(rich.repost.subject)) problems.push(`${JSON.stringify(rich.repost.subject)} is not a Bluesky post link (at://… or https://bsky.app/profile/…/post/…)`);
    return problems;
  }
  const segments = content.segments ?? [];
  if (segments.length === 0) problems.push("the post has no text");
  if (segments.length > LIMITS.segments) {
    problems.push(`a thread can have at most ${LIMITS.segments} posts (this one has ${segments.length})`);
  }
  segments.forEach((segment, i) => {
    const where = segments.length > 1 ? `post ${i + 1} of the thread` : "the post";
    const text = segment.text ?? "";
    const images = segment.images ?? [];
    const segmentRich = rich?.segments?.[i];
    const graphemes = graphemeLength(text);
    // Bluesky accepts an image or quote post without text; a post with none of them is empty.
    if (graphemes === 0 && images.length === 0 && !segment.video && !segmentRich?.quote) problems.push(`${where}: text is empty`);
    if (segment.video) {
      if (images.length > 0) problems.push(`${where}: Bluesky takes either one video or up to ${LIMITS.imagesPerPost} images in a post, not both`);
      problems.push(...videoProblems(segment.video, `${where}, video`));
    }
    if (segmentRich?.quote !== undefined && !parsePostRef(segmentRich.quote)) {
      problems.push(`${where}: ${JSON.stringify(segmentRich.quote)} is not a Bluesky post link to quote (at://… or https://bsky.app/profile/…/post/…)`);
    }
    for (const label of segmentRich?.labels ?? []) {
      if (!(SELF_LABELS as readonly string[]).includes(label)) problems.push(`${where}: ${JSON.stringify(label)} is not a self-label (${SELF_LABELS.join(", ")})`);
    }
    if (graphemes > LIMITS.graphemes) {
      problems.push(`${where}: ${graphemes} characters is over Bluesky's limit of ${LIMITS.graphemes}`);
    }
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > LIMITS.bytes) problems.push(`${where}: ${bytes} bytes is over Bluesky's limit of ${LIMITS.bytes} bytes`);
    if (images.length > LIMITS.imagesPerPost) {
      problems.push(`${where}: ${images.length} images is more than Bluesky's limit of ${LIMITS.imagesPerPost}`);
    }
    images.forEach((image, j) => problems.push(...imageProblems(image, `${where}, image ${j + 1}`)));
  });
  const langs = content.langs ?? [];
  if (langs.length > LIMITS.langs) problems.push(`at most ${LIMITS.langs} languages can be given (got ${langs.length})`);
  for (const lang of langs) {
    if (!LANG_TAG.test(lang)) problems.push(`${JSON.stringify(lang)} is not a language tag such as "en" or "pt-BR"`);
  }
  return problems;
}
