import { describe, expect, it } from "vitest";
import { RetryLaterError } from "../../errors";
import { createPasswordHasher, hashPassword } from "../password";

describe("bounded password hashing", () => {
  it("runs at most `concurrency` hashes, queues `maxWaiting`, and refuses the rest with 503 + Retry-After", async () => {
    const hasher = createPasswordHasher(1, 2);
    const hash = await hashPassword("some password");
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => hasher.verify(hash, "some password")));
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(ok).toHaveLength(3);
    expect(ok.every((r) => r.status === "fulfilled" && r.value === true)).toBe(true);
    expect(refused).toHaveLength(2);
    for (const err of refused) {
      expect(err).toBeInstanceOf(RetryLaterError);
      expect((err as RetryLaterError).status).toBe(503);
      expect((err as RetryLaterError).retryAfterSeconds).toBeGreaterThan(0);
    }
    // The slots were handed back: it works again afterwards.
    expect(await hasher.verify(hash, "wrong")).toBe(false);
  });
});
