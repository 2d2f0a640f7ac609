import type { AppContext } from "../context";
import { handlesOf } from "../db/queries/accounts";
import { attemptsOf, findUserPost } from "../db/queries/posts";
import { notFound } from "../errors";
import { postJson, type PostJson } from "./postJson";
import { isUuid } from "./schemas";

/** One of the user's posts with each delivery's attempt history. Someone else's post is "not found". */
export async function getPost(ctx: AppContext, userId: string, postId: string): Promise<PostJson> {
  if (!isUuid(postId)) throw notFound("post");
  const found = await findUserPost(ctx.database.db, userId, postId);
  if (!found) throw notFound("post");
  const [history, handles] = await Promise.all([
    attemptsOf(ctx.database.db, found.deliveries.map((d) => d.id)),
    handlesOf(ctx.database.db, found.deliveries.map((d) => d.accountId)),
  ]);
  return postJson(found, history, handles);
}
