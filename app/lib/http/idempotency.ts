import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { currentCaller } from "../auth/authenticate";
import type { AppContext } from "../context";
import {
  completeIdempotencyKey,
  findIdempotencyKey,
  releaseIdempotencyKey,
  reserveIdempotencyKey,
  takeOverIdempotencyKey,
  type IdempotencyKeyRow,
} from "../db/queries/idempotencyKeys";
import { AppError } from "../errors";
import { logger } from "../logger";
import { readBodyCapped } from "./body";

/**
 * `Idempotency-Key` on POST (DESIGN.md v1.2): the same key with the same request within 24 h
 * answers the first response again and runs nothing; with another request, 422
 * idempotency_key_reused. Keys belong to the authenticated user. `route()` applies this to
 * every POST, so no handler has to remember it.
 *
 * The first request inserts a reservation row (the primary key (user, key) lets exactly one of
 * any number of concurrent requests in); the others poll that row until it holds the answer.
 * Only 2xx answers are kept: after an error nothing was created, the row is deleted and the
 * same key may be sent again. A reservation whose process died is taken over after its lease.
 */
export const IDEMPOTENCY_HEADER = "idempotency-key";
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** How long a first request may run before another with the same key may take over. */
const LEASE_MS = 120_000;
/** How long a concurrent duplicate waits for the first to answer before 409. */
const MAX_WAIT_MS = 30_000;
const POLL_MS = 100;
const KEY = /^[\x21-\x7e]{1,255}$/;

const log = logger("idempotency");

/** What identifies "the same request": method, path with query, and the exact body. */
export function requestHash(method: string, url: string, body: string): string {
  const { pathname, search } = new URL(url);
  return createHash("sha256").update(`${method.toUpperCase()} ${pathname}${search}\n`).update(body).digest("hex");
}

export async function withIdempotencyKey(ctx: AppContext, req: Request, run: (req: Request) => Promise<Response>): Promise<Response> {
  const key = req.headers.get(IDEMPOTENCY_HEADER)!;
  if (!KEY.test(key)) throw new AppError("bad_request", "Idempotency-Key must be 1 to 255 printable ASCII characters");
  // The body is read once here (with the usual 1 MiB cap) and handed on in a copy of the request.
  const body = await readBodyCapped(req);
  const headers = new Headers(req.headers);
  headers.delete("content-length");
  const copy = new Request(req.url, { method: req.method, headers, body: body === "" ? undefined : body });
  // Requests without a user (sign-in) have no key space: the key is ignored.
  const caller = await currentCaller(ctx, copy);
  if (!caller) return run(copy);

  const userId = caller.user.id;
  const hash = requestHash(req.method, req.url, body);
  const started = Date.now();
  for (;;) {
    const now = new Date();
    const reservation = { userId, key, requestHash: hash, lockedUntil: new Date(now.getTime() + LEASE_MS) };
    const won =
      (await reserveIdempotencyKey(ctx.database.db, reservation)) ||
      (await takeOverIdempotencyKey(ctx.database.db, { ...reservation, now, expiredBefore: new Date(now.getTime() - IDEMPOTENCY_TTL_MS) }));
    if (won) return runAndRemember(ctx, reservation, () => run(copy));

    const row = await findIdempotencyKey(ctx.database.db, userId, key);
    if (!row) continue; // the first request failed and freed the key: try to take it
    if (row.requestHash !== hash && row.createdAt.getTime() > now.getTime() - IDEMPOTENCY_TTL_MS) {
      throw new AppError("idempotency_key_reused", "this Idempotency-Key was used for a different request in the last 24 hours");
    }
    if (row.responseStatus !== null) return replay(ctx, row);
    if (Date.now() - started > MAX_WAIT_MS) {
      throw new AppError("conflict", "a request with this Idempotency-Key is still in progress: retry later with the same key");
    }
    await sleep(POLL_MS);
  }
}

type Reservation = { userId: string; key: string; requestHash: string; lockedUntil: Date };

const sealContext = (r: { userId: string; key: string }) => `idempotency:${r.userId}:${r.key}`;

async function runAndRemember(ctx: AppContext, reservation: Reservation, run: () => Promise<Response>): Promise<Response> {
  let res: Response;
  try {
    res = await run();
  } catch (err) {
    await releaseIdempotencyKey(ctx.database.db, reservation);
    throw err;
  }
  if (res.status < 200 || res.status > 299) {
    await releaseIdempotencyKey(ctx.database.db, reservation);
    return res;
  }
  const text = await res.text();
  // Sealed: a first answer may carry a secret shown once (a new API token).
  const stored = { status: res.status, body: ctx.box.seal(text, sealContext(reservation)), type: res.headers.get("content-type") };
  await completeIdempotencyKey(ctx.database.db, reservation, stored).catch((err: unknown) => {
    // The work is done; failing the answer now would invite a retry that repeats it.
    log.error({ err, userId: reservation.userId }, "could not store the answer for an Idempotency-Key");
  });
  return new Response(text === "" ? null : text, { status: res.status, headers: res.headers });
}

function replay(ctx: AppContext, row: IdempotencyKeyRow): Response {
  const body = row.responseBody ? ctx.box.open(row.responseBody, sealContext(row)) : "";
  const headers: Record<string, string> = { "idempotent-replayed": "true" };
  if (row.responseType) headers["content-type"] = row.responseType;
  return new Response(body === "" ? null : body, { status: row.responseStatus!, headers });
}
