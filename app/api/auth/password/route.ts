import { requireUser, sessionTokenOf } from "@/app/lib/auth/authenticate";
import { changePasswordBody } from "@/app/lib/auth/schemas";
import { changePassword } from "@/app/lib/auth/sessions";
import { getAppContext } from "@/app/lib/context";
import { json, readJson, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Changes the caller's password; every other session of theirs ends (this one stays). */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { currentPassword, newPassword } = await readJson(req, changePasswordBody);
  const result = await changePassword(ctx, { userId: user.id, currentPassword, newPassword, keepSessionToken: sessionTokenOf(ctx, req) });
  return json({ passwordChanged: true, ...result });
});
