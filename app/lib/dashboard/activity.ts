import type { AppContext } from "../context";
import { publishActivity } from "../db/queries/dashboard";

export interface ActivityView {
  hours: Array<{ hour: string; published: number; retried: number; failed: number }>;
}

const HOUR = 3600_000;

/** The last `hours` hours of publishing, one entry per hour (oldest first, empty hours as zeros). */
export async function getActivity(ctx: AppContext, hours = 12): Promise<ActivityView> {
  const rows = await publishActivity(ctx.database.db, hours);
  const byHour = new Map(rows.map((r) => [r.hour.getTime(), r]));
  const current = Math.floor(Date.now() / HOUR) * HOUR;
  return {
    hours: Array.from({ length: hours }, (_, i) => {
      const t = current - (hours - 1 - i) * HOUR;
      const r = byHour.get(t);
      return { hour: new Date(t).toISOString(), published: r?.published ?? 0, retried: r?.retried ?? 0, failed: r?.failed ?? 0 };
    }),
  };
}
