"use client";

import { useState, type FormEvent } from "react";
import { call, client, problemList } from "../../components/api";
import { Problems } from "../../components/StatusBadge";

/**
 * Connect (or reconnect) a Mastodon account: the instance's address, then its own consent
 * page, which sends the browser back to /accounts with the account connected.
 */
export function ConnectMastodonForm({ instance, onCancel }: { instance?: string; onCancel?(): void }) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const reconnect = instance !== undefined;

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const value = String(new FormData(e.currentTarget).get("instance") ?? "").trim();
    if (!value) return setProblems(["Enter your Mastodon server, for example mastodon.social."]);
    setBusy(true);
    const res = await call(client.POST("/api/accounts/mastodon/authorize", { body: { instance: value } }));
    if (!res.ok) {
      setBusy(false);
      setProblems(problemList(res.error));
      return;
    }
    window.location.assign(res.data.authorizeUrl);
  }

  const id = reconnect ? "reconnect-instance" : "mastodon-instance";
  return (
    <form onSubmit={submit} noValidate aria-label={reconnect ? "Reconnect the Mastodon account" : "Connect a Mastodon account"}>
      {reconnect ? (
        <input type="hidden" name="instance" value={instance} />
      ) : (
        <>
          <label htmlFor={id}>
            Your Mastodon server <span className="hint">e.g. mastodon.social</span>
          </label>
          <input id={id} name="instance" inputMode="url" autoComplete="url" required placeholder="https://mastodon.social" />
          <p className="hint" style={{ margin: "0.3rem 0 0" }}>
            Your server asks you to allow PostMore to post for you; you can revoke that there at any time. PostMore stores its token encrypted.
          </p>
        </>
      )}
      <Problems items={problems} />
      <div className="row" style={{ marginTop: "0.6rem" }}>
        <button type="submit" disabled={busy}>
          {busy ? "Opening your server…" : reconnect ? "Sign in on the server again" : "Continue on your server"}
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
