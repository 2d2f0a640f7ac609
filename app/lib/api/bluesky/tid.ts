// The module alone: the package's index loads 11 MB of other code (zod, multiformats, …), and
// record keys are made in every process that schedules a post.
import { TID } from "@atproto/common-web/dist/tid.js";

/**
 * Record keys chosen when a post is scheduled. Publishing writes exactly these keys,
 * which is what makes a retry land on the same record instead of a new one.
 * TIDs sort by time, so the keys of one thread come out in order.
 */
export function newRecordKeys(n: number): string[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`newRecordKeys: expected a positive integer, got ${n}`);
  const keys: string[] = [];
  let prev: TID | undefined;
  for (let i = 0; i < n; i++) {
    prev = TID.next(prev);
    keys.push(prev.toString());
  }
  return keys;
}

export function isRecordKey(value: string): boolean {
  return TID.is(value);
}
