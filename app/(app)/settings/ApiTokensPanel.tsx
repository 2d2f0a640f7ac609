"use client";

import { call, client, problemList, type ApiJson } from "../../components/api";
import { Problems } from "../../components/StatusBadge";
import { useCreatedList } from "../../components/useCreatedList";

type ApiToken = ApiJson<"/api/tokens", "get">["tokens"][number];

const when = (iso: string | null, none: string) => (iso ? new Date(iso).toLocaleString() : none);

const fetchTokens = () => call(client.GET("/api/tokens")).then((res) => (res.ok ? res.data.tokens : undefined));

/** Personal API tokens: create (shown once, read-only or read-write), list with scope and last use, revoke. */
export function ApiTokensPanel() {
  const { items: tokens, problems, setProblems, fresh, load, create: created } = useCreatedList<ApiToken>(fetchTokens);

  const create = created(
    (data) => {
      const days = Number(data.get("days") ?? 0);
      const expiresAt = days > 0 ? new Date(Date.now() + days * 86_400_000).toISOString() : null;
      return call(client.POST("/api/tokens", {
        body: { name: String(data.get("name") ?? "").trim(), expiresAt, scope: data.get("scope") === "read" ? "read" : "write" },
      }));
    },
    (res) => res.token.token,
  );

  async function revoke(id: string) {
    const res = await call(client.DELETE("/api/tokens/{id}", { params: { path: { id } } }));
    if (!res.ok) return setProblems(problemList(res.error));
    await load();
  }

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">For scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token is shown once.</p>
      <form onSubmit={create} aria-label="Create API token">
        <label htmlFor="token-name">Name</label>
        <input id="token-name" name="name" required maxLength={100} placeholder="my script" />
        <label htmlFor="token-days">
          Expires after <span className="hint">days; empty = never</span>
        </label>
        <input id="token-days" name="days" type="number" min={1} max={3650} inputMode="numeric" />
        <label htmlFor="token-scope">Access</label>
        <select id="token-scope" name="scope" defaultValue="write">
          <option value="write">Read and write</option>
          <option value="read">Read only (GET requests; no scheduling, editing or deleting)</option>
        </select>
        <Problems items={problems} />
        <div className="btn-row">
          <button type="submit">Create token</button>
        </div>
      </form>
      {fresh && (
        <p role="status">
          New token (copy it now): <code data-testid="new-token">{fresh}</code>
        </p>
      )}
      <ul aria-label="API tokens">
        {tokens.map((t) => (
          <li key={t.id}>
            <strong>{t.name}</strong> <span className="badge">{t.scope === "read" ? "read only" : "read and write"}</span>{" "}
            <span className="muted">
              created {when(t.createdAt, "")}, expires {when(t.expiresAt, "never")}, last used {when(t.lastUsedAt, "never")}
            </span>{" "}
            <button type="button" className="btn-secondary" onClick={() => void revoke(t.id)}>
              Revoke
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
