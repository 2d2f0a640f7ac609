"use client";

import { useEffect, useState } from "react";
import { call, client, problemList, type ApiJson, type ApiResult } from "../../components/api";
import { Problems } from "../../components/StatusBadge";
import { useCreatedList } from "../../components/useCreatedList";

const EVENTS = ["post.published", "post.failed", "post.partially_published", "account.needs_reconnect", "account.reconnected"] as const;

type Webhook = ApiJson<"/api/webhooks", "get">["webhooks"][number];
type LoggedDelivery = ApiJson<"/api/webhooks/{id}/deliveries", "get">["deliveries"][number];

const when = (iso: string) => new Date(iso).toLocaleString();

const fetchWebhooks = () => call(client.GET("/api/webhooks")).then((res) => (res.ok ? res.data.webhooks : undefined));

/** Webhooks: add (secret shown once), list with paused state, resume, send a test event, delivery log, delete. */
export function WebhooksPanel() {
  const { items: webhooks, problems, setProblems, fresh, load, create: created } = useCreatedList<Webhook>(fetchWebhooks);
  const [open, setOpen] = useState<string>();

  const create = created(
    (data) => {
      const events = data.getAll("events").map(String) as Webhook["events"];
      return call(client.POST("/api/webhooks", {
        body: { url: String(data.get("url") ?? "").trim(), events },
      }));
    },
    (res) => res.webhook.secret,
  );

  async function act(id: string, action: "test" | "resume" | "delete") {
    const params = { path: { id } };
    const res: ApiResult<unknown> =
      action === "delete"
        ? await call(client.DELETE("/api/webhooks/{id}", { params }))
        : action === "test"
          ? await call(client.POST("/api/webhooks/{id}/test", { params }))
          : await call(client.POST("/api/webhooks/{id}/resume", { params }));
    if (!res.ok) return setProblems(problemList(res.error));
    setProblems([]);
    await load();
  }

  return (
    <section className="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted">
        PostMore POSTs signed JSON events to these URLs (see the API guide for verifying <code>PostMore-Signature</code>). Failed
        deliveries are retried for about a day; an endpoint that keeps failing is paused.
      </p>
      <form onSubmit={create} aria-label="Add webhook">
        <label htmlFor="webhook-url">URL</label>
        <input id="webhook-url" name="url" type="url" required maxLength={2000} placeholder="https://example.com/postmore-hook" />
        <fieldset>
          <legend>Events</legend>
          {EVENTS.map((ev) => (
            <label key={ev}>
              <input type="checkbox" name="events" value={ev} defaultChecked={ev.startsWith("post.")} /> <code>{ev}</code>
            </label>
          ))}
        </fieldset>
        <Problems items={problems} />
        <div className="btn-row">
          <button type="submit">Add webhook</button>
        </div>
      </form>
      {fresh && (
        <p role="status">
          Signing secret (copy it now, it is not shown again): <code data-testid="new-webhook-secret">{fresh}</code>
        </p>
      )}
      <ul aria-label="Webhooks">
        {webhooks.map((w) => (
          <li key={w.id}>
            <strong>{w.url}</strong> <span className="muted">{w.events.join(", ")}</span>{" "}
            {w.status === "paused" ? (
              <span className="badge badge-danger" title={w.pausedReason ?? undefined}>
                paused {w.pausedAt ? `since ${when(w.pausedAt)}` : ""}
              </span>
            ) : (
              <span className="badge badge-ok">active</span>
            )}
            {w.status === "paused" && <p className="muted">Paused: {w.pausedReason}. Fix the endpoint, send a test event, then resume.</p>}
            <div className="btn-row">
              <button type="button" className="btn-secondary" onClick={() => void act(w.id, "test")}>
                Send test event
              </button>
              {w.status === "paused" && (
                <button type="button" onClick={() => void act(w.id, "resume")}>
                  Resume
                </button>
              )}
              <button type="button" className="btn-secondary" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? undefined : w.id)}>
                {open === w.id ? "Hide log" : "Delivery log"}
              </button>
              <button type="button" className="btn-secondary" onClick={() => void act(w.id, "delete")}>
                Delete
              </button>
            </div>
            {open === w.id && <DeliveryLog webhookId={w.id} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The endpoint's newest deliveries, each try with its response code and time; refreshed every few seconds while open. */
function DeliveryLog({ webhookId }: { webhookId: string }) {
  const [entries, setEntries] = useState<LoggedDelivery[]>();
  useEffect(() => {
    let live = true;
    const load = async () => {
      const res = await call(client.GET("/api/webhooks/{id}/deliveries", { params: { path: { id: webhookId } } }));
      if (live && res.ok) setEntries(res.data.deliveries);
    };
    void load();
    const timer = setInterval(() => void load(), 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [webhookId]);
  if (!entries) return <p className="muted">Loading…</p>;
  if (entries.length === 0) return <p className="muted">No deliveries yet.</p>;
  return (
    <table aria-label="Delivery log">
      <thead>
        <tr>
          <th>Event</th>
          <th>Status</th>
          <th>Tries (response, time)</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((d) => (
          <tr key={d.id}>
            <td>
              <code>{d.type}</code>
              <br />
              <span className="muted">{when(d.createdAt)}</span>
            </td>
            <td>{d.status}</td>
            <td>
              {d.log.length === 0
                ? "not tried yet"
                : d.log.map((t) => (
                    <div key={t.attempt}>
                      #{t.attempt}: {t.statusCode ?? "no answer"}
                      {t.error && t.statusCode === null ? ` (${t.error})` : ""} at {when(t.at)}, {t.durationMs} ms
                    </div>
                  ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
