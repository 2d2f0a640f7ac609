import type { $Typed, AppBskyEmbedExternal, AppBskyEmbedImages, AppBskyEmbedRecord, AppBskyEmbedRecordWithMedia, AppBskyEmbedVideo } from "@atproto/api";
import type { ImageInput } from "../platform";
import type { RichSegment } from "../rich";
import type { PdsClient } from "./client";
import type { Facet } from "./facets";
import type { IdentitySettings } from "./identity";
import { uploadImages } from "./images";
import { fetchLinkCard, firstLink } from "./linkCard";
import { resolvePostRef } from "./postRef";

export type PostEmbed =
  | $Typed<AppBskyEmbedImages.Main>
  | $Typed<AppBskyEmbedExternal.Main>
  | $Typed<AppBskyEmbedRecord.Main>
  | $Typed<AppBskyEmbedRecordWithMedia.Main>
  | $Typed<AppBskyEmbedVideo.Main>;

/** Link cards wait at most this long for the page (and again for its image): a slow site must not hold a publish. */
const LINK_CARD_TIMEOUT_MS = 10_000;

/**
 * A post has one embed. A quote wins (with images or a video it becomes recordWithMedia); else
 * images or the video (already uploaded: bluesky/video.ts); else the first link's card when
 * linkCard is not false and the page can be had.
 */
export async function buildEmbed(
  client: PdsClient,
  settings: IdentitySettings,
  segment: { images?: ImageInput[]; video?: $Typed<AppBskyEmbedVideo.Main>; facets?: Facet[]; rich?: RichSegment },
): Promise<PostEmbed | undefined> {
  const images = segment.video ?? (await uploadImages(client, segment.images));
  if (segment.rich?.quote) {
    const record: $Typed<AppBskyEmbedRecord.Main> = { $type: "app.bsky.embed.record", record: await resolvePostRef(segment.rich.quote, settings) };
    return images ? { $type: "app.bsky.embed.recordWithMedia", record, media: images } : record;
  }
  if (images) return images;
  if (segment.rich?.linkCard === false) return undefined;
  const link = firstLink(segment.facets);
  if (!link) return undefined;
  const card = await fetchLinkCard(link, settings.outbound, Math.min(settings.timeoutMs, LINK_CARD_TIMEOUT_MS));
  if (!card) return undefined;
  const external: AppBskyEmbedExternal.External = { uri: card.uri, title: card.title, description: card.description };
  if (card.thumb) {
    // The same bytes give the same blob CID, so a retry builds the same record.
    external.thumb = (await client.com.atproto.repo.uploadBlob(card.thumb.bytes, { encoding: card.thumb.mimeType })).data.blob;
  }
  return { $type: "app.bsky.embed.external", external };
}
