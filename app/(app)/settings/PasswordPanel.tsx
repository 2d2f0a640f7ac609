"use client";

import { useState, type FormEvent } from "react";
import { call, client, problemList } from "../../components/api";
import { Problems } from "../../components/StatusBadge";

/** Password change (ends the other sessions) and "sign out everywhere". */
export function PasswordPanel() {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [done, setDone] = useState<string>();

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setBusy(true);
    setDone(undefined);
    const res = await call(client.POST("/api/auth/password", {
      body: { currentPassword: String(data.get("currentPassword") ?? ""), newPassword: String(data.get("newPassword") ?? "") },
    }));
    setBusy(false);
    if (!res.ok) return setProblems(problemList(res.error));
    setProblems([]);
    form.reset();
    setDone(`Password changed. ${res.data.endedSessions} other session(s) signed out.`);
  }

  async function signOutEverywhere() {
    await call(client.POST("/api/auth/signout-everywhere"));
    window.location.assign("/signin");
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Password and sessions</h2>
      <form onSubmit={submit} aria-label="Change password">
        <label htmlFor="currentPassword">Current password</label>
        <input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" required />
        <label htmlFor="newPassword">
          New password <span className="hint">at least 8 characters</span>
        </label>
        <input id="newPassword" name="newPassword" type="password" autoComplete="new-password" minLength={8} required />
        <Problems items={problems} />
        {done && <p role="status">{done}</p>}
        <div className="btn-row">
          <button type="submit" disabled={busy}>
            Change password
          </button>
          <button type="button" className="btn-secondary" onClick={() => void signOutEverywhere()}>
            Sign out everywhere
          </button>
        </div>
      </form>
    </section>
  );
}
