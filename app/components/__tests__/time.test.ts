import { describe, expect, it } from "vitest";
import { canonicalTimeZone, isoInZone, offsetMinutes, resolveWallTime, timeZoneChoices } from "../time";

/** Wall times the author types, read in zones with every kind of clock change (issue 12, item 4). */
describe("wall time → instant across clock changes", () => {
  const at = (date: string, time: string, tz: string) => {
    const r = resolveWallTime(date, time, tz)!;
    return { utc: r.instant.toISOString(), iso: isoInZone(r.instant, tz), kind: r.kind, note: r.note };
  };

  it("New York: a missing 02:30 moves forward to 03:30 EDT (not an hour early), a doubled 01:30 takes the first", () => {
    const gap = at("2026-03-08", "02:30", "America/New_York");
    expect(gap).toMatchObject({ utc: "2026-03-08T07:30:00.000Z", iso: "2026-03-08T03:30:00-04:00", kind: "gap" });
    expect(gap.note).toMatch(/02:30 does not exist .* clocks move forward/);
    expect(gap.note).toMatch(/3:30/);
    const overlap = at("2026-11-01", "01:30", "America/New_York");
    expect(overlap).toMatchObject({ utc: "2026-11-01T05:30:00.000Z", iso: "2026-11-01T01:30:00-04:00", kind: "overlap" });
    expect(overlap.note).toMatch(/happens twice .* first one .*UTC-04:00.*UTC-05:00/);
    expect(at("2026-07-15", "09:30", "America/New_York")).toMatchObject({ iso: "2026-07-15T09:30:00-04:00", kind: "exact", note: undefined });
  });

  it("Berlin: 02:30 on the last Sunday of March is skipped, on the last Sunday of October doubled", () => {
    expect(at("2026-03-29", "02:30", "Europe/Berlin")).toMatchObject({ utc: "2026-03-29T01:30:00.000Z", iso: "2026-03-29T03:30:00+02:00", kind: "gap" });
    expect(at("2026-10-25", "02:30", "Europe/Berlin")).toMatchObject({ utc: "2026-10-25T00:30:00.000Z", iso: "2026-10-25T02:30:00+02:00", kind: "overlap" });
    expect(at("2026-01-15", "09:30", "Europe/Berlin")).toMatchObject({ utc: "2026-01-15T08:30:00.000Z", kind: "exact" });
  });

  it("Lord Howe: the clock moves by 30 minutes, so the gap and the overlap last half an hour", () => {
    expect(at("2026-10-04", "02:15", "Australia/Lord_Howe")).toMatchObject({ utc: "2026-10-03T15:45:00.000Z", iso: "2026-10-04T02:45:00+11:00", kind: "gap" });
    expect(at("2026-10-04", "02:30", "Australia/Lord_Howe")).toMatchObject({ iso: "2026-10-04T02:30:00+11:00", kind: "exact" });
    expect(at("2026-04-05", "01:45", "Australia/Lord_Howe")).toMatchObject({ utc: "2026-04-04T14:45:00.000Z", iso: "2026-04-05T01:45:00+11:00", kind: "overlap" });
    expect(at("2026-04-05", "02:00", "Australia/Lord_Howe")).toMatchObject({ iso: "2026-04-05T02:00:00+10:30", kind: "exact" });
  });

  it("Kolkata: +05:30 all year, no clock changes, and its current name in the picker", () => {
    expect(at("2026-03-08", "02:30", "Asia/Kolkata")).toMatchObject({ utc: "2026-03-07T21:00:00.000Z", iso: "2026-03-08T02:30:00+05:30", kind: "exact" });
    expect(offsetMinutes(new Date("2026-07-01T00:00:00Z"), "Asia/Kolkata")).toBe(330);
    const names = timeZoneChoices().map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["UTC", "Asia/Kolkata", "Europe/Kyiv", "Australia/Lord_Howe"]));
    expect(names).not.toContain("Asia/Calcutta");
    expect(names).not.toContain("Europe/Kiev");
    expect(timeZoneChoices().find((c) => c.name === "Asia/Kolkata")?.label).toMatch(/India/);
    expect(canonicalTimeZone("Asia/Calcutta")).toBe("Asia/Kolkata");
    expect(canonicalTimeZone("Europe/Kiev")).toBe("Europe/Kyiv");
  });

  it("refuses incomplete or impossible dates instead of guessing", () => {
    expect(resolveWallTime("", "09:30", "UTC")).toBeUndefined();
    expect(resolveWallTime("2026-02-30", "09:30", "UTC")).toBeUndefined();
  });
});
