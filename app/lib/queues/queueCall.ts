import { AppError } from "../errors";

/** How long a request waits for the queue store before answering 503 (ioredis would wait forever). */
export const QUEUE_ANSWER_MS = 3_000;

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A queue call made for an HTTP request: fails fast with a clear 503 when the store is down. */
export async function queueCall<T>(what: string, work: () => Promise<T>, ms = QUEUE_ANSWER_MS): Promise<T> {
  try {
    return await withTimeout(work(), ms);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("unavailable", `the job queue did not answer while ${what}; try again shortly`);
  }
}
