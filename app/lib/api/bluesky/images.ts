import type { $Typed, AppBskyEmbedImages } from "@atproto/api";
import type { PdsClient } from "./client";
import type { ImageInput } from "../platform";

/**
 * Uploads a segment's images and returns its embed. Uploading the same bytes again
 * yields the same blob CID, so a retried publish builds a byte-identical record.
 */
export async function uploadImages(
  client: PdsClient,
  images: ImageInput[] | undefined,
): Promise<$Typed<AppBskyEmbedImages.Main> | undefined> {
  if (!images || images.length === 0) return undefined;
  const out: AppBskyEmbedImages.Image[] = [];
  for (const image of images) {
    const bytes = Buffer.from(image.data.replace(/\s+/g, ""), "base64");
    const res = await client.com.atproto.repo.uploadBlob(bytes, { encoding: image.mimeType });
    const ratio = aspectRatio(bytes, image.mimeType);
    out.push({ $type: "app.bsky.embed.images#image", image: res.data.blob, alt: image.alt, ...(ratio ? { aspectRatio: ratio } : {}) });
  }
  return { $type: "app.bsky.embed.images", images: out };
}

/** Width and height from the PNG or GIF header, so apps can lay the image out before loading it. */
function aspectRatio(bytes: Buffer, mimeType: string): { width: number; height: number } | undefined {
  let width = 0;
  let height = 0;
  if (mimeType === "image/png" && bytes.length >= 24 && bytes.toString("ascii", 12, 16) === "IHDR") {
    width = bytes.readUInt32BE(16);
    height = bytes.readUInt32BE(20);
  } else if (mimeType === "image/gif" && bytes.length >= 10 && bytes.toString("ascii", 0, 3) === "GIF") {
    width = bytes.readUInt16LE(6);
    height = bytes.readUInt16LE(8);
  }
  return width > 0 && height > 0 ? { width, height } : undefined;
}
