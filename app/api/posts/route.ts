import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";
import { createPost } from "@/app/lib/posts/createPost";
import { listPosts } from "@/app/lib/posts/listPosts";
import { createPostBody, listPostsQuery } from "@/app/lib/posts/schemas";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const query = listPostsQuery.parse(Object.fromEntries(new URL(req.url).searchParams));
  return json(await listPosts(ctx, user.id, query));
});

export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const body = await readJson(req, createPostBody);
  return json({ post: await createPost(ctx, user.id, body) }, 201);
});
