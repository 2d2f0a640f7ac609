import { z } from "zod";
import { revokeApiToken } from "@/app/lib/auth/apiTokens";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { notFound } from "@/app/lib/errors";
import { route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Revokes one of the caller's tokens: 204; another user's or an unknown id is 404. */
export const DELETE = route<{ id: string }>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  if (!z.uuid().safeParse(id).success) throw notFound("API token");
  await revokeApiToken(ctx.database.db, user.id, id);
  return new Response(null, { status: 204 });
});
