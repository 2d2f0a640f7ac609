import { z } from "zod";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { notFound } from "@/app/lib/errors";
import { json, route } from "@/app/lib/http/respond";
import { sendTestEvent } from "@/app/lib/webhooks/service";

export const dynamic = "force-dynamic";

/** Queues a `webhook.test` event for this endpoint: 202 with the delivery to follow in its log. */
export const POST = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  if (!z.uuid().safeParse(id).success) throw notFound("webhook");
  return json({ delivery: await sendTestEvent(ctx, user.id, id) }, 202);
});
