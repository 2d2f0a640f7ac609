"use client";

import { useState } from "react";
import { call, client } from "../../components/api";
import { MessageText } from "../../components/MessageText";
import { formatInZone } from "../../components/time";
import type { FailedJob } from "../../components/types";

export function FailedJobsPanel({ jobs, timeZone, onChanged }: { jobs: FailedJob[] | null; timeZone: string; onChanged(): void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function retry(job: FailedJob) {
    setBusy(job.id);
    const res = await call(client.POST("/api/admin/jobs/retry", { body: { queue: job.queue, jobId: job.id } }));
    setBusy(null);
    setMessage(res.ok ? { ok: true, text: `Job ${job.id} queued again.` } : { ok: false, text: res.error.message });
    onChanged();
  }

  return (
    <section className="card" aria-labelledby="failed-jobs">
      <h2 id="failed-jobs">Recent failed jobs</h2>
      {message && (
        <div className={`alert ${message.ok ? "alert-ok" : "alert-error"}`} role="status">
          <MessageText text={message.text} />
        </div>
      )}
      {jobs === null ? (
        <p className="muted">Loading…</p>
      ) : jobs.length === 0 ? (
        <div className="empty">
          <strong>No failed jobs</strong>
          Everything that ran, worked.
        </div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Error</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created / failed</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((j) => (
                <tr key={`${j.queue}-${j.id}`}>
                  <td>
                    <strong>{j.name}</strong>
                    <div className="small muted mono">
                      {j.queue} · {j.id}
                    </div>
                  </td>
                  <td style={{ color: "var(--danger)" }}>{j.failedReason ?? "no reason recorded"}</td>
                  <td>{j.attemptsMade}</td>
                  <td className="small">
                    {j.createdAt ? formatInZone(j.createdAt, timeZone, { year: undefined }) : "—"}
                    <br />
                    {j.finishedAt ? formatInZone(j.finishedAt, timeZone, { year: undefined }) : "—"}
                  </td>
                  <td>
                    <button type="button" className="btn-secondary btn-small" disabled={busy === j.id} onClick={() => void retry(j)}>
                      {busy === j.id ? "Retrying…" : "Retry"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
