"use client";

import { useState, type FormEvent } from "react";
import { call, client, problemList } from "../../components/api";
import { Problems } from "../../components/StatusBadge";

/**
 * Connect a Bluesky account through OAuth (branch oauth): PostMore asks for the handle, the
 * browser signs in on the person's own Bluesky server and comes back to the Accounts page.
 */
export function OAuthConnectForm({ mode }: { mode: "confidential" | "loopback" }) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const handle = String(new FormData(e.currentTarget).get("handle") ?? "").trim();
    if (!handle) {
      setProblems(["Enter your handle."]);
      return;
    }
    setProblems([]);
    setBusy(true);
    const res = await call(client.POST("/api/accounts/bluesky/authorize", { body: { handle } }));
    if (!res.ok) {
      setBusy(false);
      setProblems(problemList(res.error));
      return;
    }
    window.location.assign(res.data.authorizeUrl);
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Sign in with Bluesky">
      <label htmlFor="oauth-handle">
        Handle <span className="hint">e.g. alice.bsky.social</span>
      </label>
      <input id="oauth-handle" name="handle" autoComplete="username" required placeholder="alice.bsky.social" />
      <p className="hint" style={{ margin: "0.3rem 0 0" }}>
        {mode === "confidential"
          ? "You sign in on your Bluesky server and approve PostMore; no password is given to PostMore."
          : "You sign in on your Bluesky server and approve PostMore. This server has no https address, so Bluesky lets such a sign-in last at most 2 weeks: reconnect then, or use an app password."}
      </p>
      <Problems items={problems} />
      <div className="btn-row">
        <button type="submit" disabled={busy}>
          {busy ? "Opening Bluesky…" : "Sign in with Bluesky"}
        </button>
      </div>
    </form>
  );
}
