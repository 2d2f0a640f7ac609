import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

export const GET = route(async (req) => json({ user: await requireUser(getAppContext(), req) }));
