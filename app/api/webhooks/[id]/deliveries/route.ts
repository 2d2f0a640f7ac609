import { z } from "zod";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { notFound } from "@/app/lib/errors";
import { json, route } from "@/app/lib/http/respond";
import { webhookDeliveryLog } from "@/app/lib/webhooks/service";

export const dynamic = "force-dynamic";

/** The endpoint's delivery log: its newest 50 deliveries, each with every try (response code, time, attempt). */
export const GET = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  if (!z.uuid().safeParse(id).success) throw notFound("webhook");
  return json({ deliveries: await webhookDeliveryLog(ctx, user.id, id) });
});
