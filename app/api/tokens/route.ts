import { z } from "zod";
import { createUserApiToken, listApiTokens } from "@/app/lib/auth/apiTokens";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

const createBody = z.strictObject({
  name: z.string().trim().min(1, "name is required").max(100),
  expiresAt: z.iso.datetime({ offset: true, message: "an ISO 8601 time with offset" }).nullable().optional(),
});

export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ tokens: await listApiTokens(ctx.database.db, user.id) });
});

/** 201 with the token itself, shown this once. */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { name, expiresAt } = await readJson(req, createBody);
  const created = await createUserApiToken(ctx.database.db, user.id, { name, expiresAt: expiresAt ? new Date(expiresAt) : null });
  return json({ token: { ...created.apiToken, token: created.token } }, 201);
});
