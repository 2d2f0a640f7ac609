import type { RichContent, RichSegment } from "../api/rich";
import type { CreatePostBody } from "./schemas";

type RichFields = Pick<CreatePostBody, "linkCard" | "quote" | "labels" | "disableQuotes">;

function segmentOf(fields: RichFields): RichSegment | undefined {
  const out: RichSegment = {};
  if (fields.linkCard !== undefined) out.linkCard = fields.linkCard;
  if (fields.quote !== undefined) out.quote = fields.quote.trim();
  if (fields.labels?.length) out.labels = fields.labels;
  if (fields.disableQuotes) out.disableQuotes = true;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The rich options of a create request, stored with the post's content (undefined when there are none). */
export function richContentOf(body: CreatePostBody): RichContent | undefined {
  const perSegment = [body, ...(body.thread ?? [])].map(segmentOf);
  const rich: RichContent = {};
  if (perSegment.some((s) => s !== undefined)) rich.segments = perSegment.map((s) => s ?? {});
  if (body.replyControl !== undefined && body.replyControl !== "everyone") rich.replyControl = body.replyControl;
  return Object.keys(rich).length > 0 ? rich : undefined;
}

/** The API shape: the post's own options at top level, each thread segment's with the segment. */
export function richJson(rich: RichContent | undefined): { post: RichSegment & Pick<RichContent, "replyControl">; thread: RichSegment[] } {
  const [first, ...rest] = rich?.segments ?? [];
  return { post: { ...first, ...(rich?.replyControl ? { replyControl: rich.replyControl } : {}) }, thread: rest };
}
