import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Delivery } from "@/app/components/types";
import { DeliveryRow } from "../DeliveryRow";

/** The delivery fields of issue 12 item 2 and 6, as the posts page shows them when the API sends them. */
const render = (d: Partial<Delivery>) =>
  renderToStaticMarkup(
    createElement(DeliveryRow, {
      delivery: { id: "d1", accountId: "a1", status: "pending", remoteUri: null, attempts: 0, lastError: null, publishedAt: null, segments: [], waitingUntil: null, ...d },
      handle: "alice.test",
      timeZone: "UTC",
      onPost: () => {},
    }),
  );

describe("a delivery row", () => {
  it("links every live part of a partly published thread and offers to finish it", () => {
    const html = render({
      status: "partially_published",
      attempts: 4,
      lastError: "the PDS refused part 3",
      remoteUri: "at://did:plc:abc/app.bsky.feed.post/3kone",
      segments: [
        { index: 0, status: "published", uri: "at://did:plc:abc/app.bsky.feed.post/3kone", url: null },
        { index: 1, status: "published", uri: "at://did:plc:abc/app.bsky.feed.post/3ktwo", url: null },
        { index: 2, status: "failed", uri: null, url: null },
      ],
    });
    expect(html).toContain("Partly published");
    expect(html).toContain("2 of 3 parts are live");
    expect(html).toContain('href="https://bsky.app/profile/did:plc:abc/post/3kone"');
    expect(html).toContain('href="https://bsky.app/profile/did:plc:abc/post/3ktwo"');
    expect(html).toContain("part 3 (not posted)");
    expect(html).toContain("Finish the thread");
  });

  it("says how long it waits for the rate limit, in the post's time zone", () => {
    const until = new Date(Date.now() + 3600_000);
    const html = render({ status: "pending", waitingUntil: until.toISOString() });
    const hhmm = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", hour: "numeric", minute: "2-digit" }).format(until);
    expect(html).toContain(`Waiting for Bluesky&#x27;s rate limit until <time dateTime="${until.toISOString()}">${hhmm}</time>`);
    expect(render({ status: "pending", waitingUntil: null })).not.toContain("rate limit");
  });

  it("turns the Accounts page named in an error into a link", () => {
    const html = render({ status: "failed", lastError: "@alice.test needs to be reconnected before this post can be retried (Accounts page)" });
    expect(html).toContain('<a href="/accounts">Accounts page</a>');
  });
});
