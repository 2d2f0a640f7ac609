import { z } from "zod";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { notFound } from "@/app/lib/errors";
import { json, route } from "@/app/lib/http/respond";
import { resumeWebhook } from "@/app/lib/webhooks/service";

export const dynamic = "force-dynamic";

/** Resumes a paused endpoint (what was held while paused is sent): 200 with the webhook. */
export const POST = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  if (!z.uuid().safeParse(id).success) throw notFound("webhook");
  return json({ webhook: await resumeWebhook(ctx, user.id, id) });
});
