"use client";

import { formatInZone, relativeTime } from "../../components/time";
import type { QueueOverview, WorkersView } from "../../components/types";

const COUNTS = ["waiting", "delayed", "active", "completed", "failed"] as const;

export function QueuesPanel({ overview, workers, timeZone }: { overview: QueueOverview; workers: WorkersView | null; timeZone: string }) {
  return (
    <>
      <div className="queue-grid">
      {Object.entries(overview.queues).map(([name, counts]) => (
        <section key={name} className="card" aria-labelledby={`q-${name}`} data-queue={name}>
          <div className="row" style={{ marginBottom: "0.6rem" }}>
            <h2 id={`q-${name}`} style={{ margin: 0 }}>
              Queue “{name}”
            </h2>
            <span className="spacer" />
            {workers && (
              <span className="small muted">
                {workers.queues[name] ?? 0} worker{(workers.queues[name] ?? 0) === 1 ? "" : "s"} connected
              </span>
            )}
          </div>
          <div className="stats">
            {COUNTS.map((c) => (
              <div key={c} className={`stat ${c}${counts[c] > 0 ? " nonzero" : ""}`} data-count={c}>
                <b>{counts[c].toLocaleString()}</b>
                <span>{c}</span>
              </div>
            ))}
          </div>
        </section>
      ))}
      </div>
      <section className="card" aria-labelledby="schedulers">
        <h2 id="schedulers">Schedules</h2>
        {overview.schedulers.length === 0 ? (
          <p className="muted">No job schedulers. The weekly token refresh is set up when the web app or the worker starts.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Scheduler</th>
                  <th scope="col">When</th>
                  <th scope="col">Runs</th>
                  <th scope="col">Next run</th>
                </tr>
              </thead>
              <tbody>
                {overview.schedulers.map((s) => (
                  <tr key={`${s.queue}-${s.id}`}>
                    <td>
                      <strong>{s.id}</strong>
                      <div className="small muted">{s.queue}</div>
                    </td>
                    <td>
                      <code>{s.pattern ?? `every ${s.every} ms`}</code>
                      {s.tz && <div className="small muted">{s.tz}</div>}
                    </td>
                    <td>
                      {s.iterations}
                      {s.limit ? ` of ${s.limit}` : ""}
                    </td>
                    <td>{s.next ? `${formatInZone(s.next, timeZone)} (${relativeTime(s.next)})` : "spent — renewed at next start"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
