import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";
import { createRepost, createRepostBody, listReposts, listRepostsQuery } from "@/app/lib/posts/reposts";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const query = listRepostsQuery.parse(Object.fromEntries(new URL(req.url).searchParams));
  return json(await listReposts(ctx, user.id, query.limit));
});

export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const body = await readJson(req, createRepostBody);
  return json({ repost: await createRepost(ctx, user.id, body) }, 201);
});
