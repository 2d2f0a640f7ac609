import { describe, expect, it } from "vitest";
import { countMastodonCharacters } from "../text";

describe("countMastodonCharacters", () => {
  it("counts user-perceived characters, not UTF-16 units", () => {
    expect(countMastodonCharacters("hello")).toBe(5);
    expect(countMastodonCharacters("👍🏽 ok")).toBe(4); // emoji with skin tone is one character
    expect(countMastodonCharacters("👨‍👩‍👧")).toBe(1);
    expect(countMastodonCharacters("é")).toBe(1); // e + combining accent
  });

  it("counts every URL as 23 characters, however long or short", () => {
    expect(countMastodonCharacters(`see https://example.com/${"a".repeat(300)}`)).toBe(4 + 23);
    expect(countMastodonCharacters("http://a.io")).toBe(23);
    expect(countMastodonCharacters("https://a.io and https://b.io/x?y=1#z")).toBe(23 + 5 + 23);
  });

  it("leaves sentence punctuation after a URL outside it", () => {
    expect(countMastodonCharacters("Read https://example.com/page.")).toBe(5 + 23 + 1);
    expect(countMastodonCharacters("(https://example.com/page)")).toBe(1 + 23 + 1);
  });

  it("does not treat a bare domain as a URL", () => {
    expect(countMastodonCharacters("example.com")).toBe(11);
  });

  it("counts a remote mention without its domain", () => {
    expect(countMastodonCharacters("hi @bob@mastodon.social")).toBe(3 + 4);
    expect(countMastodonCharacters("hi @bob")).toBe(7);
    expect(countMastodonCharacters("mail me: bob@example.com")).toBe(24);
  });

  it("adds the content warning and honours the instance's URL length", () => {
    expect(countMastodonCharacters("body", { spoilerText: "cw" })).toBe(6);
    expect(countMastodonCharacters("https://example.com/long/path", { urlLength: 30 })).toBe(30);
  });
});
