"use client";

import { formatInZone } from "../../components/time";
import { usePoll } from "./usePoll";

const size = (bytes: number) => (bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);

/** The archives under <data dir>/backups (GET /api/admin/backups) and how backups are scheduled. */
export function BackupsPanel({ timeZone }: { timeZone: string }) {
  const { data, error } = usePoll("/api/admin/backups", 60_000);
  const s = data?.schedule;
  return (
    <section className="card" aria-labelledby="backups" data-testid="backups-panel">
      <h2 id="backups">Backups</h2>
      {error && <p className="muted">Could not list the backups: {error}</p>}
      {s && (
        <p className="small muted">
          {s.enabled
            ? `Every ${s.intervalHours} h, the last ${s.keep} kept, in ${s.dir}. `
            : s.embedded
              ? "Scheduled backups are off (BACKUP_INTERVAL_HOURS=0). "
              : "Scheduled backups run with the embedded database only; with DATABASE_URL, back up with your database's tools or run the command below from cron. "}
          Take one now: <code>npm run cli -- backup</code>
        </p>
      )}
      {data &&
        (data.backups.length === 0 ? (
          <div className="empty">
            <strong>No backups yet</strong>
            {s?.enabled ? "The first one is written when PostMore starts." : "None in the backups folder."}
          </div>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Archive</th>
                  <th scope="col">Taken</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {data.backups.map((b) => (
                  <tr key={b.name}>
                    <td className="mono small">
                      {b.name}
                      {b.scheduled ? "" : " (by hand)"}
                    </td>
                    <td>{formatInZone(b.createdAt, timeZone)}</td>
                    <td>{size(b.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
