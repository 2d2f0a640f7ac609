import type { mastodon } from "masto";
import { classifyMastodonError } from "./errors";

/**
 * After an attempt whose outcome we never heard (a lost response, a killed worker) the
 * Idempotency-Key protects a retry for one hour only: Mastodon forgets it then. Past that
 * hour we look for the status among the account's recent statuses instead, matching what
 * we would have posted: same parent, same content warning, same text, same media count,
 * created no earlier than the unclear attempt.
 */

export interface ExpectedStatus {
  text: string;
  spoilerText: string;
  inReplyToId: string | null;
  mediaCount: number;
}

/** Pages of 40 we read at most; a scheduler's account rarely posts 120 statuses in between. */
const MAX_PAGES = 3;
/** Clock skew we tolerate between us and the instance. */
const SKEW_MS = 5 * 60 * 1000;

export async function findPublishedStatus(
  client: mastodon.rest.Client,
  accountId: string,
  expected: ExpectedStatus,
  since: Date,
  now = Date.now,
): Promise<mastodon.v1.Status | undefined> {
  const wanted = comparable(expected.text);
  const oldest = since.getTime() - SKEW_MS;
  let maxId: string | undefined;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const statuses = await client.v1.accounts.$select(accountId).statuses.list({ limit: 40, maxId, excludeReblogs: true });
      for (const status of statuses) {
        if (Date.parse(status.createdAt) < oldest) return undefined;
        if (
          (status.inReplyToId ?? null) === expected.inReplyToId &&
          status.spoilerText === expected.spoilerText &&
          status.mediaAttachments.length === expected.mediaCount &&
          comparable(htmlToText(status.content)) === wanted
        ) {
          return status;
        }
      }
      if (statuses.length < 40) return undefined;
      maxId = statuses.at(-1)?.id;
    }
  } catch (err) {
    throw classifyMastodonError(err, "looking for a status an earlier attempt may have posted", now());
  }
  return undefined;
}

/** The plain text of a status's HTML: paragraphs and <br> as line breaks, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>\s*<p[^>]*>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_m, entity: string) => decodeEntity(entity));
}

function decodeEntity(entity: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  if (entity[0] !== "#") return named[entity.toLowerCase()] ?? "";
  const code = entity[1] === "x" || entity[1] === "X" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
  return String.fromCodePoint(code);
}

/**
 * Mastodon shows a remote mention as `@user` and may reflow whitespace; compare without
 * either so a status we posted is recognised.
 */
function comparable(text: string): string {
  return text
    .replace(/@([a-z0-9_]+)@[a-z0-9.-]*[a-z0-9]/gi, "@$1")
    .replace(/\s+/g, " ")
    .trim();
}
