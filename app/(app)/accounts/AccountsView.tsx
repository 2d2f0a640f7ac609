"use client";

import { useCallback, useEffect, useState } from "react";
import { call, client } from "../../components/api";
import { Loading } from "../../components/StatusBadge";
import { browserTimeZone } from "../../components/time";
import type { Account } from "../../components/types";
import { AccountItem } from "./AccountItem";
import { ConnectAccountForm } from "./ConnectAccountForm";
import { OAuthConnectForm } from "./OAuthConnectForm";
import { ConnectMastodonForm } from "./ConnectMastodonForm";

export function AccountsView({ oauthMode }: { oauthMode: "confidential" | "loopback" }) {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [oauthError, setOAuthError] = useState<string | null>(null);
  const [timeZone, setTimeZone] = useState("UTC");

  const load = useCallback(async () => {
    const res = await call(client.GET("/api/accounts"));
    if (res.ok) {
      setAccounts(res.data.accounts);
      setError(null);
    } else setError(res.error.message);
  }, []);

  useEffect(() => {
    setTimeZone(browserTimeZone());
    void load();
    // Back from Bluesky's OAuth sign-in: the callback says how it went in the query.
    const back = new URLSearchParams(window.location.search);
    const connected = back.get("connected");
    const failed = back.get("error");
    if (connected) setNotice(`@${connected} is connected.`);
    if (failed) setOAuthError(failed);
    if (connected || failed) window.history.replaceState(null, "", window.location.pathname);
  }, [load]);

  const upsert = (a: Account) => setAccounts((list) => [a, ...(list ?? []).filter((x) => x.id !== a.id)]);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Accounts</h1>
          <p className="muted">The Bluesky accounts PostMore posts to. Tokens are refreshed for you every week.</p>
        </div>
      </div>
      <div className="grid-2">
        <section aria-labelledby="your-accounts">
          <h2 id="your-accounts" className="visually-hidden">
            Your accounts
          </h2>
          {notice && (
            <div className="alert alert-ok" role="status">
              {notice}
            </div>
          )}
          {oauthError && (
            <div className="alert alert-error" role="alert">
              {oauthError}
            </div>
          )}
          {error && (
            <div className="alert alert-error" role="alert">
              Could not load your accounts: {error}{" "}
              <button type="button" className="btn-small btn-secondary" onClick={() => void load()}>
                Try again
              </button>
            </div>
          )}
          {accounts === null && !error && <Loading rows={2} label="Loading accounts" />}
          {accounts?.length === 0 && (
            <div className="empty">
              <strong>No accounts yet</strong>
              Connect a Bluesky account with the form to start scheduling posts.
            </div>
          )}
          {accounts && accounts.length > 0 && (
            <ul className="list" aria-label="Connected accounts">
              {accounts.map((a) => (
                <AccountItem
                  key={a.id}
                  account={a}
                  timeZone={timeZone}
                  onChange={(x) => {
                    upsert(x);
                    setNotice(`@${x.handle} is reconnected.`);
                  }}
                  onRemoved={(id) => {
                    setAccounts((list) => (list ?? []).filter((x) => x.id !== id));
                    setNotice(`@${a.handle} is disconnected.`);
                  }}
                />
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="connect-title">
          <h2 id="oauth-title">Sign in with Bluesky</h2>
          <OAuthConnectForm mode={oauthMode} />
          <h2 id="connect-title">Connect a Bluesky account</h2>
          <ConnectAccountForm
            onDone={(a, created) => {
              upsert(a);
              setNotice(created ? `@${a.handle} is connected.` : `@${a.handle} was already connected: its login is updated.`);
            }}
          />
        </section>
        <section className="card" aria-labelledby="connect-mastodon-title">
          <h2 id="connect-mastodon-title">Connect a Mastodon account</h2>
          <ConnectMastodonForm />
        </section>
      </div>
    </>
  );
}
