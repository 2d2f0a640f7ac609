import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";
import { cancelPost } from "@/app/lib/posts/cancelPost";
import { getPost } from "@/app/lib/posts/getPost";
import { updatePostBody } from "@/app/lib/posts/schemas";
import { updatePost } from "@/app/lib/posts/updatePost";

export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ post: await getPost(ctx, user.id, id) });
});

export const PATCH = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const body = await readJson(req, updatePostBody);
  return json({ post: await updatePost(ctx, user.id, id, body) });
});

export const DELETE = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ post: await cancelPost(ctx, user.id, id) });
});
