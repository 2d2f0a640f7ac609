import { describe, expect, it } from "vitest";
import { TID } from "@atproto/common-web";
import { isRecordKey, newRecordKeys } from "../tid";

describe("newRecordKeys", () => {
  it("gives n distinct, valid, increasing TIDs, also across calls", () => {
    const a = newRecordKeys(25);
    const b = newRecordKeys(3);
    const all = [...a, ...b];
    expect(new Set(all).size).toBe(28);
    expect(all.every(isRecordKey)).toBe(true);
    expect([...all].sort()).toEqual(all);
    expect(Math.abs(TID.fromStr(a[0]!).timestamp() / 1000 - Date.now())).toBeLessThan(5_000);
  });

  it("refuses a count that is not a positive integer", () => {
    expect(() => newRecordKeys(0)).toThrow(RangeError);
    expect(() => newRecordKeys(1.5)).toThrow(RangeError);
  });
});
