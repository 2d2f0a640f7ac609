import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { PostContentJson, PostImageJson, StoredImage } from "../db/queries/posts";
import { posts } from "../db/schema";
import { logger } from "../logger";
import { ingestImageBytes, type MediaDeps } from "./ingest";
import { isLegacyImage } from "./postImages";

const log = logger("media-migrate");

const BATCH = 20;

// Posts that still hold image bytes (the form before media by reference).
const holdsBytes = sql`(jsonb_path_exists(${posts.content}, '$.images[*].data') OR jsonb_path_exists(${posts.content}, '$.thread[*].images[*].data'))`;

/**
 * Moves base64 images stored inside posts into the media store (files under the data dir and
 * `media` rows), leaving references behind. SQL cannot write files, so this runs in
 * TypeScript after the SQL migrations (`npm start`'s migrate step, `npm run db:migrate`,
 * restore). It is idempotent and crash-safe at every point:
 * - files are placed (atomic rename, named by content) before the row naming them, and the
 *   row (unique per user and SHA-256) before the post is rewritten;
 * - each post is rewritten in one UPDATE that also checks the content is still what was read
 *   (an edit meanwhile wins; the post is picked up again next time);
 * - a crash anywhere leaves the post with its bytes, so the next run redoes it and finds the
 *   file and row already there. Until then the worker publishes bytes it finds inline.
 * An image that does not decode stays inline (logged): it was accepted before and still publishes as it did.
 */
export async function migrateLegacyImages(db: Db, dataDir: string): Promise<{ posts: number; images: number; left: number }> {
  const deps: MediaDeps = { db, dataDir };
  let after = "00000000-0000-0000-0000-000000000000";
  const done = { posts: 0, images: 0, left: 0 };
  for (;;) {
    const page = await db
      .select({ id: posts.id, userId: posts.userId, content: posts.content })
      .from(posts)
      .where(and(holdsBytes, gt(posts.id, after)))
      .orderBy(asc(posts.id))
      .limit(BATCH);
    if (page.length === 0) break;
    for (const post of page) {
      after = post.id;
      const content = post.content as PostContentJson;
      let failed = 0;
      const convert = async (list: PostImageJson[] | undefined, where: string): Promise<PostImageJson[] | undefined> => {
        if (!list) return undefined;
        const out: PostImageJson[] = [];
        for (const [n, image] of list.entries()) {
          if (!isLegacyImage(image)) {
            out.push(image);
            continue;
          }
          try {
            const media = await ingestImageBytes(deps, post.userId, Buffer.from(image.data, "base64"), `${where}.${n}`);
            out.push({ mediaId: media.id, mimeType: media.mimeType, alt: image.alt } satisfies StoredImage);
            done.images++;
          } catch (err) {
            failed++;
            log.warn({ postId: post.id, image: `${where}.${n}`, err: err instanceof Error ? err.message : String(err) }, "image left inline: it does not decode");
            out.push(image);
          }
        }
        return out;
      };
      const next: PostContentJson = { ...content };
      if (content.images) next.images = await convert(content.images, "images");
      if (content.thread) {
        next.thread = [];
        for (const [i, s] of content.thread.entries()) next.thread.push({ ...s, ...(s.images ? { images: await convert(s.images, `thread.${i}.images`) } : {}) });
      }
      const updated = await db
        .update(posts)
        .set({ content: next })
        .where(and(eq(posts.id, post.id), sql`${posts.content} = ${JSON.stringify(content)}::jsonb`))
        .returning({ id: posts.id });
      if (updated.length > 0) done.posts++;
      if (failed > 0) done.left++;
    }
  }
  if (done.images > 0 || done.left > 0) log.info(done, "moved images stored inside posts to the media store");
  return done;
}
