import { instantFromInputs, isoInZone } from "../../components/time";
import type { Draft, DraftImage, DraftSegment } from "./draft";
import { quoteTarget, richFields } from "./richOptions";

const images = (list: DraftImage[]) => (list.length > 0 ? { images: list.map((i) => ({ mediaId: i.mediaId, alt: i.alt })) } : {});
// branch video: the segment's video by id, with its caption file when one was added.
const video = ({ video: v }: DraftSegment) =>
  v ? { video: { mediaId: v.mediaId, alt: v.alt, ...(v.captions?.mediaId ? { captions: [{ lang: v.captions.lang, mediaId: v.captions.mediaId }] } : {}) } } : {};

/** The POST /api/posts body for a draft, or the problems that stop it being sent. */
export function buildCreateBody(d: Draft): { body?: Record<string, unknown>; problems: string[] } {
  const problems: string[] = [];
  if (d.segments.some((s) => s.images.some((i) => !i.mediaId))) problems.push("An image is still uploading: wait a moment and try again.");
  if (d.segments.some((s) => s.images.some((i) => i.alt.trim() === ""))) problems.push("Every image needs alt text: describe it for people who cannot see it.");
  if (d.segments.some((s) => s.video && (!s.video.mediaId || (s.video.captions && !s.video.captions.mediaId)))) problems.push("A video is still uploading: wait a moment and try again.");
  if (d.segments.some((s) => s.video && s.video.alt.trim() === "")) problems.push("Every video needs alt text: describe it for people who cannot see it.");
  let scheduledAt: string | undefined;
  if (d.when === "schedule") {
    const instant = instantFromInputs(d.date, d.time, d.timeZone);
    if (!instant) problems.push("Choose a date and a time, or pick “Post now”.");
    else scheduledAt = isoInZone(instant, d.timeZone);
  }
  if (d.rich && d.rich.quote.trim() !== "" && !quoteTarget(d.rich.quote)) problems.push("The quoted post must be a Bluesky post link (https://bsky.app/profile/…/post/…).");
  const [first, ...rest] = d.segments;
  const body = {
    text: first?.text ?? "",
    accountIds: d.accountIds,
    timeZone: d.timeZone,
    ...(scheduledAt ? { scheduledAt } : { publishNow: true }),
    ...images(first?.images ?? []),
    ...(first ? video(first) : {}),
    ...richFields(d.rich),
    ...(rest.length > 0 ? { thread: rest.map((s) => ({ text: s.text, ...images(s.images), ...video(s) })) } : {}),
  };
  return problems.length > 0 ? { problems } : { body, problems };
}
