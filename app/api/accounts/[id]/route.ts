import { deleteAccount } from "@/app/lib/accounts/deleteAccount";
import { getAccount } from "@/app/lib/accounts/getAccount";
import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  return json({ account: await getAccount(ctx, user.id, id) });
});

export const DELETE = route<Params>(async (req, { id }) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  await deleteAccount(ctx, user.id, id);
  return new Response(null, { status: 204 });
});
