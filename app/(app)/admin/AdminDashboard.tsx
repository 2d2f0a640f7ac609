"use client";

import { useEffect, useState } from "react";
import { Loading } from "../../components/StatusBadge";
import { browserTimeZone, formatTime } from "../../components/time";
import { AccountsPanel } from "./AccountsPanel";
import { ActivityChart } from "./ActivityChart";
import { BackupsPanel } from "./BackupsPanel";
import { FailedJobsPanel } from "./FailedJobsPanel";
import { QueuesPanel } from "./QueuesPanel";
import { usePoll } from "./usePoll";

export function AdminDashboard() {
  const [timeZone, setTimeZone] = useState("UTC");
  const queues = usePoll("/api/admin/queues", 3000);
  const workers = usePoll("/api/admin/workers", 5000);
  const failed = usePoll("/api/admin/jobs", 5000);
  const accounts = usePoll("/api/admin/accounts", 15000);
  const activity = usePoll("/api/admin/activity", 10000);

  useEffect(() => setTimeZone(browserTimeZone()), []);

  const alive = workers.data?.alive;
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Admin</h1>
          <p className="muted">Queues, schedules and tokens. Counts update every 3 seconds.</p>
        </div>
        <div className="row small" role="status" data-testid="worker-status">
          <span className={`pulse${alive === false ? " dead" : ""}`} aria-hidden="true" />
          {alive === undefined ? "Checking the worker…" : alive ? "Worker running" : "No worker running — scheduled posts will wait. Start it with npm run worker."}
        </div>
      </div>
      {queues.error && (
        <div className="alert alert-error" role="alert">
          Could not read the queues: {queues.error}
        </div>
      )}
      <div className="stack">
        {queues.data ? <QueuesPanel overview={queues.data} workers={workers.data} timeZone={timeZone} /> : !queues.error && <Loading rows={3} label="Loading queues" />}
        {activity.data && <ActivityChart hours={activity.data.hours} />}
        <AccountsPanel accounts={accounts.data?.accounts ?? null} timeZone={timeZone} onChanged={() => void accounts.reload()} />
        <FailedJobsPanel jobs={failed.data?.failed ?? null} timeZone={timeZone} onChanged={() => void failed.reload()} />
        <BackupsPanel timeZone={timeZone} />
      </div>
      {queues.at && (
        <p className="small muted" style={{ marginTop: "1rem" }}>
          Last updated {formatTime(new Date(queues.at), timeZone)}
        </p>
      )}
    </>
  );
}
