import { timingSafeEqual } from "node:crypto";
import { requireAdmin } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { route } from "@/app/lib/http/respond";
import { renderMetrics } from "@/app/lib/metrics/render";

export const dynamic = "force-dynamic";

function isMetricsToken(req: Request, expected: string | undefined): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
  if (!expected || !given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Prometheus text format. Readable with the METRICS_TOKEN or by an admin. */
export const GET = route(async (req) => {
  const ctx = getAppContext();
  if (!isMetricsToken(req, ctx.config.metricsToken)) await requireAdmin(ctx, req);
  return new Response(await renderMetrics(ctx), {
    headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
  });
});
