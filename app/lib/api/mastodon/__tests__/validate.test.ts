import { describe, expect, it } from "vitest";
import { fromPlatformRequest } from "../fromPlatform";
import { DEFAULT_MASTODON_LIMITS } from "../instance";
import { validateForMastodon } from "../service";

const image = (alt: string, mimeType = "image/png") => ({ bytes: new Uint8Array(10), mimeType, alt });

describe("validateForMastodon", () => {
  it("accepts a post within the instance's limits, counting a long URL as 23", () => {
    const text = `${"a".repeat(476)} https://example.com/${"x".repeat(200)}`;
    expect(validateForMastodon({ segments: [{ text }] }, DEFAULT_MASTODON_LIMITS)).toEqual([]);
  });

  it("names each problem a person can fix, per part of a thread", () => {
    const limits = { ...DEFAULT_MASTODON_LIMITS, maxCharacters: 10, descriptionLimit: 5 };
    const problems = validateForMastodon(
      {
        spoilerText: "cw",
        segments: [
          { text: "123456789" },
          { text: "" },
          { text: "ok", images: [image("far too long"), image("x", "image/tiff")] },
        ],
      },
      limits,
    );
    expect(problems).toEqual([
      "part 1: 11 characters, the instance allows 10",
      "part 2: the text is empty",
      "part 3, image 1: alt text longer than 5 characters",
      "part 3, image 2: image/tiff is not accepted",
    ]);
  });

  it("refuses more images than the instance allows", () => {
    const segments = [{ text: "pics", images: [1, 2, 3, 4, 5].map((n) => image(`alt ${n}`)) }];
    expect(validateForMastodon({ segments }, DEFAULT_MASTODON_LIMITS)).toEqual(["5 images, the instance allows 4"]);
  });
});

describe("fromPlatformRequest", () => {
  it("uses the per-segment keys as Idempotency-Keys, decodes images and keeps one language", () => {
    const request = fromPlatformRequest({
      rkeys: ["3kaaaaaaaaa22", "3kaaaaaaaab22"],
      createdAt: new Date(),
      content: { segments: [{ text: "one", images: [{ data: Buffer.from("png!").toString("base64"), mimeType: "image/png", alt: "alt" }] }, { text: "two" }], langs: ["pt-BR", "en"] },
    });
    expect(request.segments.map((s) => s.idempotencyKey)).toEqual(["3kaaaaaaaaa22", "3kaaaaaaaab22"]);
    expect(Buffer.from(request.segments[0]!.images![0]!.bytes).toString()).toBe("png!");
    expect(request.language).toBe("pt");
  });
});
