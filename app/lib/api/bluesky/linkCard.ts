import { AppBskyRichtextFacet } from "@atproto/api";
import { Parser } from "htmlparser2";
import { logger } from "../../logger";
import type { Outbound } from "../../net/outbound";
import type { Facet } from "./facets";

const log = logger("link-card");

/** Bluesky's limit for an external embed's thumbnail blob (app.bsky.embed.external). */
export const THUMB_MAX_BYTES = 1_000_000;
const PAGE_MAX_BYTES = 1024 * 1024;
const THUMB_TYPES = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"]);
const TITLE_MAX = 300;
const DESCRIPTION_MAX = 1000;

export interface LinkCard {
  uri: string;
  title: string;
  description: string;
  thumb?: { bytes: Buffer; mimeType: string };
}

/** The first link of a text, as its facets found it (so a card never points elsewhere than the text does). */
export function firstLink(facets: Facet[] | undefined): string | undefined {
  for (const facet of facets ?? []) {
    for (const feature of facet.features) {
      if (AppBskyRichtextFacet.isLink(feature)) return feature.uri;
    }
  }
  return undefined;
}

interface PageMeta {
  title?: string;
  description?: string;
  image?: string;
}

/**
 * Open Graph / Twitter card metadata of an HTML page (falling back to <title> and the
 * description meta). Reads the head only: parsing stops at <body>.
 */
export function parsePageMeta(html: string): PageMeta {
  const meta = new Map<string, string>();
  let inTitle = false;
  let titleText = "";
  let done = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (done) return;
        if (name === "body") {
          done = true;
          parser.pause();
          return;
        }
        if (name === "title") inTitle = true;
        if (name !== "meta") return;
        const key = (attrs.property ?? attrs.name ?? "").trim().toLowerCase();
        const value = attrs.content?.trim();
        if (key && value && !meta.has(key)) meta.set(key, value);
      },
      ontext(text) {
        if (inTitle) titleText += text;
      },
      onclosetag(name) {
        if (name === "title") inTitle = false;
        if (name === "head") {
          done = true;
          parser.pause();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  const pick = (...keys: string[]) => keys.map((k) => meta.get(k)).find((v) => v !== undefined && v !== "");
  return {
    title: pick("og:title", "twitter:title") ?? (titleText.trim() || undefined),
    description: pick("og:description", "twitter:description", "description"),
    image: pick("og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"),
  };
}

const clip = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
};

/**
 * Fetches the page behind a link through the guarded outbound layer (public addresses only,
 * unless OUTBOUND_ALLOWLIST lists them) and makes a card of it. Undefined when the page
 * cannot be had or says nothing: the post then goes out with the plain link. A thumbnail
 * that cannot be had (or is over 1 MB) leaves a card without one.
 */
export async function fetchLinkCard(uri: string, outbound: Outbound, timeoutMs: number): Promise<LinkCard | undefined> {
  const headers = { "user-agent": "PostMore link-card fetcher", accept: "text/html,application/xhtml+xml" };
  let meta: PageMeta;
  try {
    const res = await outbound.fetch(uri, { timeoutMs, maxBytes: PAGE_MAX_BYTES, headers });
    const type = res.headers.get("content-type") ?? "";
    if (!res.ok || !/text\/html|application\/xhtml\+xml/i.test(type)) {
      await res.body?.cancel().catch(() => undefined);
      log.info({ uri, status: res.status, type }, "no link card: the link is not an HTML page");
      return undefined;
    }
    meta = parsePageMeta(await res.text());
  } catch (err) {
    log.info({ uri, err: err instanceof Error ? err.message : String(err) }, "no link card: the page could not be fetched");
    return undefined;
  }
  if (!meta.title && !meta.description) return undefined;
  const card: LinkCard = { uri, title: clip(meta.title ?? "", TITLE_MAX), description: clip(meta.description ?? "", DESCRIPTION_MAX) };
  if (meta.image) {
    const thumb = await fetchThumb(new URL(meta.image, uri).toString(), outbound, timeoutMs).catch((err: unknown) => {
      log.info({ uri, err: err instanceof Error ? err.message : String(err) }, "link card without thumbnail");
      return undefined;
    });
    if (thumb) card.thumb = thumb;
  }
  return card;
}

async function fetchThumb(url: string, outbound: Outbound, timeoutMs: number): Promise<LinkCard["thumb"]> {
  const res = await outbound.fetch(url, { timeoutMs, maxBytes: THUMB_MAX_BYTES, headers: { accept: "image/*" } });
  const mimeType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!res.ok || !THUMB_TYPES.has(mimeType)) {
    await res.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  return bytes.length > 0 ? { bytes, mimeType } : undefined;
}
