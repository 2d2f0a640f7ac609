import { AppBskyRichtextFacet, RichText } from "@atproto/api";

export type Facet = AppBskyRichtextFacet.Main;
export type HandleLookup = (handle: string) => Promise<string | undefined>;

/**
 * Links, mentions and hashtags of a text as Bluesky facets. Offsets are UTF-8 byte
 * offsets (what the lexicon demands), computed by the official RichText detector, so
 * emoji, CJK and combining marks count the way the app counts them.
 * A mention whose handle does not resolve gets no facet: it stays plain text rather
 * than linking to nobody (a facet with an empty DID is an invalid record). `lookup`
 * answers undefined for "no such handle" and throws when it could not ask (network):
 * that failure propagates, so a retry resolves the mention instead of silently
 * publishing it as plain text.
 */
export async function buildFacets(text: string, lookup: HandleLookup): Promise<Facet[] | undefined> {
  const rt = new RichText({ text });
  rt.detectFacetsWithoutResolution();
  const detected = rt.facets ?? [];
  const cache = new Map<string, Promise<string | undefined>>();
  const resolve = (handle: string) => {
    const key = handle.toLowerCase();
    let pending = cache.get(key);
    if (!pending) {
      pending = lookup(key);
      cache.set(key, pending);
    }
    return pending;
  };

  const out: Facet[] = [];
  for (const facet of detected) {
    const features: Facet["features"] = [];
    for (const feature of facet.features) {
      if (AppBskyRichtextFacet.isMention(feature)) {
        // Before resolution the detector stores the handle in `did`.
        const did = await resolve(feature.did);
        if (did) features.push({ $type: "app.bsky.richtext.facet#mention", did });
      } else {
        features.push(feature);
      }
    }
    if (features.length > 0) out.push({ $type: "app.bsky.richtext.facet", index: { ...facet.index }, features });
  }
  return out.length > 0 ? out : undefined;
}
