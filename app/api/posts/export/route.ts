import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { route } from "@/app/lib/http/respond";
import { exportPosts, exportPostsQuery, postsCsv } from "@/app/lib/lifecycle/exportPosts";

export const dynamic = "force-dynamic";

/** GET /api/posts/export?format=json|csv: every post of the signed-in user, as a download. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const { format } = exportPostsQuery.parse(Object.fromEntries(new URL(req.url).searchParams));
  const list = await exportPosts(ctx, user.id);
  const name = `postmore-posts-${new Date().toISOString().slice(0, 10)}.${format}`;
  const headers = { "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" };
  if (format === "csv") return new Response(postsCsv(list), { headers: { ...headers, "content-type": "text/csv; charset=utf-8" } });
  return Response.json({ exportedAt: new Date().toISOString(), posts: list }, { headers });
});
