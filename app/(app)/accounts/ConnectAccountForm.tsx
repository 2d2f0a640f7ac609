"use client";

import { useState, type FormEvent } from "react";
import { call, client, problemList } from "../../components/api";
import { Problems } from "../../components/StatusBadge";
import type { Account } from "../../components/types";

export interface ConnectPrefill {
  identifier: string;
  service: string;
}

/** Connect (or reconnect: same POST, same DID) a Bluesky account with an app password. */
export function ConnectAccountForm({ prefill, onDone, onCancel }: { prefill?: ConnectPrefill; onDone(a: Account, created: boolean): void; onCancel?(): void }) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const reconnect = prefill !== undefined;

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const identifier = String(data.get("identifier") ?? "").trim();
    const appPassword = String(data.get("appPassword") ?? "");
    const service = String(data.get("service") ?? "").trim();
    const missing = [!identifier && "Enter your handle or DID.", !appPassword && "Enter an app password."].filter(Boolean) as string[];
    setProblems(missing);
    if (missing.length > 0) return;
    setBusy(true);
    const res = await call(client.POST("/api/accounts", {
      body: { platform: "bluesky", identifier, appPassword, ...(service ? { service } : {}) },
    }));
    setBusy(false);
    if (!res.ok) {
      setProblems(problemList(res.error));
      return;
    }
    form.reset();
    onDone(res.data.account, res.status === 201);
  }

  // Connect and reconnect can be on screen together: their fields need their own ids.
  const id = (name: string) => (reconnect ? `reconnect-${name}` : name);

  return (
    <form onSubmit={submit} noValidate aria-label={reconnect ? `Reconnect @${prefill.identifier}` : "Connect a Bluesky account"} className={reconnect ? "reconnect-form" : undefined}>
      {reconnect ? (
        <>
          <h3 style={{ margin: 0 }}>Reconnect @{prefill.identifier}</h3>
          <p className="hint" style={{ margin: "0.3rem 0 0" }}>
            Same account, new login: create a new app password in Bluesky and enter it here. Scheduled posts stay as they are.
          </p>
          <input type="hidden" name="identifier" value={prefill.identifier} />
        </>
      ) : (
        <>
          <label htmlFor={id("identifier")}>
            Handle or DID <span className="hint">e.g. alice.bsky.social</span>
          </label>
          <input id={id("identifier")} name="identifier" autoComplete="username" required placeholder="alice.bsky.social" />
        </>
      )}
      <label htmlFor={id("appPassword")}>
        {reconnect ? "New app password" : "App password"}{" "}
        <a className="hint" href="https://bsky.app/settings/app-passwords" target="_blank" rel="noreferrer">
          (what is this? create one)
        </a>
      </label>
      <input id={id("appPassword")} name="appPassword" type="password" autoComplete="off" required placeholder="xxxx-xxxx-xxxx-xxxx" />
      {!reconnect && (
        <p className="hint" style={{ margin: "0.3rem 0 0" }}>
          Use an app password, never your main password: you can revoke it in Bluesky at any time. PostMore stores it encrypted.
        </p>
      )}
      <label htmlFor={id("service")}>
        PDS URL <span className="hint">optional — only for self-hosted servers; found from your handle otherwise</span>
      </label>
      <input id={id("service")} name="service" type="url" inputMode="url" defaultValue={prefill?.service} placeholder="https://bsky.social" />
      <Problems items={problems} />
      <div className="btn-row">
        <button type="submit" disabled={busy}>
          {busy ? "Checking with Bluesky…" : reconnect ? `Reconnect @${prefill.identifier}` : "Connect account"}
        </button>
        {onCancel && (
          <button type="button" className="btn-secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
