"use client";

import Link from "next/link";
import { useState } from "react";
import { call, client } from "../../components/api";
import { StatusBadge } from "../../components/StatusBadge";
import { formatInZone, relativeTime } from "../../components/time";
import type { Account } from "../../components/types";

/** Token refresh: everything at once, or one account (the same admin endpoint). Re-auth first. */
export function AccountsPanel({ accounts, timeZone, onChanged }: { accounts: Account[] | null; timeZone: string; onChanged(): void }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function refresh(accountId?: string, handle?: string) {
    setBusy(accountId ?? "all");
    const res = await call(client.POST("/api/admin/refresh-tokens", { body: accountId ? { accountId } : {} }));
    setBusy(null);
    setMessage(
      res.ok
        ? { ok: true, text: `${handle ? `Refresh of @${handle}` : "Refresh of every account"} queued (job ${res.data.jobId}).` }
        : { ok: false, text: res.error.message },
    );
    setTimeout(onChanged, 1500);
  }

  return (
    <section className="card" aria-labelledby="tokens">
      <div className="row">
        <h2 id="tokens" style={{ margin: 0 }}>
          Accounts and tokens
        </h2>
        <span className="spacer" />
        <button type="button" style={{ marginTop: 0 }} disabled={busy !== null} onClick={() => void refresh()}>
          {busy === "all" ? "Queueing…" : "Refresh all tokens"}
        </button>
      </div>
      {message && (
        <div className={`alert ${message.ok ? "alert-ok" : "alert-error"}`} role="status">
          {message.text}
        </div>
      )}
      {accounts === null ? (
        <p className="muted">Loading…</p>
      ) : accounts.length === 0 ? (
        <div className="empty" style={{ marginTop: "0.75rem" }}>
          <strong>No accounts connected yet</strong>
          Users connect their Bluesky accounts on the <Link href="/accounts">Accounts page</Link>.
        </div>
      ) : (
        <div className="table-wrap">
          <table style={{ marginTop: "0.75rem" }}>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Status</th>
                <th scope="col">Last refresh</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id} data-account={a.handle}>
                  <td>
                    <strong>@{a.handle}</strong>
                    <div className="small muted">{a.ownerEmail}</div>
                  </td>
                  <td>
                    <StatusBadge status={a.status} />
                    {a.status !== "active" && a.lastError && <div className="small" style={{ color: "var(--danger)" }}>{a.lastError}</div>}
                  </td>
                  <td className="small">
                    {a.lastRefreshedAt ? <span title={formatInZone(a.lastRefreshedAt, timeZone)}>{relativeTime(a.lastRefreshedAt)}</span> : "never"}
                  </td>
                  <td>
                    <button type="button" className="btn-secondary btn-small" disabled={busy !== null} onClick={() => void refresh(a.id, a.handle)} aria-label={`Refresh tokens of @${a.handle}`}>
                      {busy === a.id ? "Queueing…" : "Refresh"}
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
