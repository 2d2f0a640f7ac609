import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";
import { cancelRepost, getRepost } from "@/app/lib/posts/reposts";

export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ repost: await getRepost(ctx, user.id, id) });
});

export const DELETE = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ repost: await cancelRepost(ctx, user.id, id) });
});
