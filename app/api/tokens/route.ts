import { createUserApiToken, listApiTokens } from "@/app/lib/auth/apiTokens";
import { requireUser } from "@/app/lib/auth/authenticate";
import { createApiTokenBody } from "@/app/lib/auth/schemas";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ tokens: await listApiTokens(ctx.database.db, user.id) });
});

/** 201 with the token itself, shown this once. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { name, expiresAt, scope } = await readJson(req, createApiTokenBody);
  const created = await createUserApiToken(ctx.database.db, user.id, { name, scope, expiresAt: expiresAt ? new Date(expiresAt) : null });
  return json({ token: { ...created.apiToken, token: created.token } }, 201);
});
