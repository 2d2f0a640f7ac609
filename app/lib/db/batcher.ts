/**
 * Group commit for single-row statements: calls that arrive while a statement is running are
 * gathered and sent as one statement over all of them when it returns. At worker concurrency
 * 5 (or 50) the post worker's claims and "published" records become one round trip and one
 * commit per batch instead of one per job. A lone call goes out at once (in the same tick's
 * microtask), so nothing waits on a timer.
 *
 * `run` answers one output per input, in input order. If it throws, every call in the batch
 * rejects with that error (each job then retries as it would after its own failure).
 */
export type Batched<I, O> = (item: I) => Promise<O>;

interface Waiting<I, O> {
  item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, opts: { maxSize: number }): Batched<I, O> {
  const waiting: Array<Waiting<I, O>> = [];
  let running = false;
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    if (running || waiting.length === 0) return;
    running = true;
    const batch = waiting.splice(0, opts.maxSize);
    try {
      const out = await run(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(out[i] as O));
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      running = false;
      schedule();
    }
  };
  const schedule = () => {
    if (scheduled || running || waiting.length === 0) return;
    scheduled = true;
    queueMicrotask(() => void flush());
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
