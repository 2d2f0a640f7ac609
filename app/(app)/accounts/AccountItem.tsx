"use client";

import { useState } from "react";
import { call, client } from "../../components/api";
import { StatusBadge } from "../../components/StatusBadge";
import { formatInZone, relativeTime } from "../../components/time";
import type { Account } from "../../components/types";
import { displayHandle, PlatformIcon } from "../../components/platforms";
import { ConnectAccountForm } from "./ConnectAccountForm";
import { ConnectMastodonForm } from "./ConnectMastodonForm";

export function AccountItem({ account, timeZone, onChange, onRemoved }: { account: Account; timeZone: string; onChange(a: Account): void; onRemoved(id: string): void }) {
  const [mode, setMode] = useState<"view" | "confirm" | "reconnect">("view");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function disconnect() {
    setBusy(true);
    const res = await call(client.DELETE("/api/accounts/{id}", { params: { path: { id: account.id } } }));
    setBusy(false);
    if (res.ok || res.status === 404) onRemoved(account.id);
    else setError(res.error.message);
  }

  return (
    <li data-account={account.handle}>
      <div className="item-head">
        <span className="item-title">
          <PlatformIcon platform={account.platform} /> {displayHandle(account.handle)}
        </span>
        <StatusBadge status={account.status} />
        <span className="spacer" />
        {mode === "view" && (
          <div className="row">
            <button type="button" className="btn-secondary btn-small" onClick={() => setMode("reconnect")}>
              Reconnect
            </button>
            <button type="button" className="btn-danger btn-small" onClick={() => setMode("confirm")}>
              Disconnect
            </button>
          </div>
        )}
      </div>
      <div className="meta">
        <span className="mono">{account.did}</span>
        <span>{account.service}</span>
        <span>
          Tokens refreshed:{" "}
          {account.lastRefreshedAt ? (
            <time dateTime={account.lastRefreshedAt} title={formatInZone(account.lastRefreshedAt, timeZone)}>
              {relativeTime(account.lastRefreshedAt)}
            </time>
          ) : (
            "never"
          )}
        </span>
      </div>
      {account.status !== "active" && (
        <div className="alert alert-warn">
          {account.status === "needs_reauth" ? "Bluesky no longer accepts this account's login" : "This account is disabled"}
          {account.lastError ? `: ${account.lastError}` : "."} Reconnect it with a new app password to resume posting.
        </div>
      )}
      {mode === "confirm" && (
        <div className="alert alert-error" role="alertdialog" aria-label="Confirm disconnect">
          Disconnect @{account.handle}? Its scheduled posts will not go out to it. Published posts stay where they are.
          <div className="btn-row">
            <button type="button" className="btn-danger" disabled={busy} onClick={() => void disconnect()}>
              {busy ? "Disconnecting…" : "Yes, disconnect"}
            </button>
            <button type="button" className="btn-secondary" onClick={() => setMode("view")} autoFocus>
              Keep it
            </button>
          </div>
        </div>
      )}
      {mode === "reconnect" && (
        <div className="reconnect-panel" style={{ marginTop: "0.75rem" }}>
          {account.platform === "mastodon" ? (
            <ConnectMastodonForm instance={account.service} onCancel={() => setMode("view")} />
          ) : (
            <ConnectAccountForm
              prefill={{ identifier: account.handle, service: account.service }}
              onDone={(a) => {
                setMode("view");
                onChange(a);
              }}
              onCancel={() => setMode("view")}
            />
          )}
        </div>
      )}
      {error && <p className="error">{error}</p>}
    </li>
  );
}
