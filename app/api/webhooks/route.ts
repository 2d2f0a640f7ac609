import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";
import { createWebhookBody } from "@/app/lib/webhooks/schemas";
import { createWebhook, listWebhooks } from "@/app/lib/webhooks/service";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ webhooks: await listWebhooks(ctx, user.id) });
});

/** 201 with the signing secret, shown this once; a private destination is 422. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const body = await readJson(req, createWebhookBody);
  return json({ webhook: await createWebhook(ctx, user.id, body) }, 201);
});
