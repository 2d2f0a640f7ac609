import { describe, expect, it } from "vitest";
import { addMonths, visibleDays, weekStart } from "@/app/(app)/calendar/days";
import { lengthLevel } from "../platforms";
import { bskyPostUrl, graphemeCount, tokenize } from "../richtext";
import { instantFromInputs, isoInZone, offsetMinutes } from "../time";

describe("composer text helpers", () => {
  it("counts graphemes the way Bluesky does, and warns near a platform's own limit", () => {
    expect(graphemeCount("👋🏽")).toBe(1);
    expect(graphemeCount("👨‍👩‍👧‍👦 hi")).toBe(4);
    expect(lengthLevel(300, 300)).toBe("warn");
    expect(lengthLevel(301, 300)).toBe("over");
    expect(lengthLevel(481, 500)).toBe("warn");
    expect(lengthLevel(10, 500)).toBe("ok");
  });

  it("finds links, mentions and hashtags, and leaves the rest as text", () => {
    const t = tokenize("Hi @alice.bsky.social see https://example.com/a. and example.org #tag! #123 (bob@mail.com)");
    expect(t.filter((x) => x.kind !== "text").map((x) => `${x.kind}:${x.text}`)).toEqual([
      "mention:@alice.bsky.social",
      "link:https://example.com/a",
      "link:example.org",
      "tag:#tag",
    ]);
    expect(t.map((x) => x.text).join("")).toBe("Hi @alice.bsky.social see https://example.com/a. and example.org #tag! #123 (bob@mail.com)");
  });

  it("turns an at:// URI into a bsky.app link", () => {
    expect(bskyPostUrl("at://did:plc:abc/app.bsky.feed.post/3kxyz")).toBe("https://bsky.app/profile/did:plc:abc/post/3kxyz");
    expect(bskyPostUrl(null)).toBeUndefined();
  });
});

describe("time zone helpers", () => {
  it("reads a wall-clock time in a zone as the right instant, with the zone's offset", () => {
    const winter = instantFromInputs("2026-01-15", "09:30", "Europe/Berlin")!;
    expect(winter.toISOString()).toBe("2026-01-15T08:30:00.000Z");
    expect(isoInZone(winter, "Europe/Berlin")).toBe("2026-01-15T09:30:00+01:00");
    const summer = instantFromInputs("2026-07-15", "09:30:05", "America/New_York")!;
    expect(isoInZone(summer, "America/New_York")).toBe("2026-07-15T09:30:05-04:00");
    expect(offsetMinutes(summer, "Asia/Kolkata")).toBe(330);
    expect(instantFromInputs("", "09:30", "UTC")).toBeUndefined();
  });

  it("lays out weeks from Monday and months as whole weeks", () => {
    expect(weekStart("2026-03-01")).toBe("2026-02-23");
    expect(addMonths("2026-12-15", 1)).toBe("2027-01-01");
    const march = visibleDays("2026-03-10", "month");
    expect(march[0]).toBe("2026-02-23");
    expect(march.length % 7).toBe(0);
    expect(march).toContain("2026-03-31");
    expect(visibleDays("2026-03-10", "week")).toHaveLength(7);
  });
});
