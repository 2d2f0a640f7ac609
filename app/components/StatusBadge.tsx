import type { AccountStatus, DeliveryStatus, PostStatus } from "./types";

type Tone = "ok" | "warn" | "danger" | "info" | "grey";

const LABELS: Record<AccountStatus | PostStatus | DeliveryStatus, [string, Tone]> = {
  active: ["Active", "ok"],
  needs_reauth: ["Needs reconnecting", "warn"],
  disabled: ["Disabled", "grey"],
  scheduled: ["Scheduled", "info"],
  pending: ["Waiting", "info"],
  publishing: ["Publishing…", "warn"],
  published: ["Published", "ok"],
  partially_failed: ["Partly failed", "danger"],
  partially_published: ["Partly published", "warn"],
  failed: ["Failed", "danger"],
  cancelled: ["Cancelled", "grey"],
};

export function StatusBadge({ status }: { status: AccountStatus | PostStatus | DeliveryStatus }) {
  const [label, tone] = LABELS[status] ?? [status, "grey"];
  return (
    <span className={`badge${tone === "grey" ? "" : ` badge-${tone}`}`} data-status={status}>
      {label}
    </span>
  );
}

export function Problems({ title, items }: { title?: string; items: string[] }) {
  if (items.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong>{title}</strong>}
      {items.length === 1 && !title ? (
        items[0]
      ) : (
        <ul>
          {items.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ rows = 3, label = "Loading…" }: { rows?: number; label?: string }) {
  return (
    <div aria-busy="true" aria-live="polite">
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" />
      ))}
    </div>
  );
}
