"use client";

import { formatTime } from "../../components/time";

export interface HourPoint {
  hour: string;
  published: number;
  retried: number;
  failed: number;
}

const COLORS = { published: "var(--ok)", retried: "#d4a72c", failed: "var(--danger)" } as const;
const KINDS = ["published", "retried", "failed"] as const;
// The browser's own zone, in the app's one time format.
const clock = (iso: string) => formatTime(iso, Intl.DateTimeFormat().resolvedOptions().timeZone);

/** Stacked bars: publish attempts per hour, in plain SVG (no chart library). */
export function ActivityChart({ hours }: { hours: HourPoint[] }) {
  const max = Math.max(1, ...hours.map((h) => h.published + h.retried + h.failed));
  const total = hours.reduce((n, h) => ({ published: n.published + h.published, retried: n.retried + h.retried, failed: n.failed + h.failed }), { published: 0, retried: 0, failed: 0 });
  const w = 100 / Math.max(hours.length, 1);
  return (
    <section className="card" aria-labelledby="activity">
      <div className="row">
        <h2 id="activity" style={{ margin: 0 }}>
          Publishing, last {hours.length} hours
        </h2>
        <span className="spacer" />
        <div className="legend-dots small">
          {KINDS.map((k) => (
            <span key={k}>
              <i style={{ display: "inline-block", width: "0.7rem", height: "0.7rem", borderRadius: 3, background: COLORS[k], marginRight: 4, verticalAlign: -1 }} />
              {total[k]} {k}
            </span>
          ))}
        </div>
      </div>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label={`${total.published} published, ${total.retried} retried, ${total.failed} failed in the last ${hours.length} hours`} style={{ width: "100%", height: "7rem", marginTop: "0.75rem", background: "#fafbfd", borderRadius: 6 }}>
        {hours.map((h, i) => {
          let y = 40;
          return KINDS.map((k) => {
            const height = (h[k] / max) * 36;
            y -= height;
            if (height <= 0) return null;
            return (
              <rect key={`${h.hour}-${k}`} x={i * w + w * 0.15} y={y} width={w * 0.7} height={height} fill={COLORS[k]}>
                <title>{`${clock(h.hour)}: ${h[k]} ${k}`}</title>
              </rect>
            );
          });
        })}
      </svg>
      <div className="row small muted" style={{ justifyContent: "space-between" }}>
        <span>{hours[0] ? clock(hours[0].hour) : ""}</span>
        <span>now</span>
      </div>
    </section>
  );
}
