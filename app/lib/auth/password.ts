import { hash, verify } from "@node-rs/argon2";
import { RetryLaterError } from "../errors";

/** Argon2id with the library's defaults (memory 19 MiB, 2 passes). */
export const hashPassword = (password: string): Promise<string> => hash(password);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
}

/**
 * Argon2 behind a semaphore: at most `concurrency` hashes at once (each takes 19 MiB and a
 * libuv thread that DNS and file reads also need), at most `maxWaiting` queued; beyond
 * that the caller gets 503 with Retry-After instead of an unbounded queue.
 */
export function createPasswordHasher(concurrency: number, maxWaiting = 32): PasswordHasher {
  let running = 0;
  const waiting: Array<() => void> = [];
  async function bounded<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) {
      if (waiting.length >= maxWaiting) throw new RetryLaterError("unavailable", "the server is busy checking passwords: try again shortly", 2);
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else running--;
    }
  }
  return { hash: (p) => bounded(() => hashPassword(p)), verify: (h, p) => bounded(() => verifyPassword(h, p)) };
}
