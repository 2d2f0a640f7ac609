import { z } from "zod";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { notFound } from "@/app/lib/errors";
import { route } from "@/app/lib/http/respond";
import { deleteWebhook } from "@/app/lib/webhooks/service";

export const dynamic = "force-dynamic";

/** Deletes one of the caller's webhooks with its log: 204; another user's or an unknown id is 404. */
export const DELETE = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  if (!z.uuid().safeParse(id).success) throw notFound("webhook");
  await deleteWebhook(ctx, user.id, id);
  return new Response(null, { status: 204 });
});
