import fc from "fast-check";

/**
 * Generators of hostile input: wrong types, missing fields, huge strings, deep nesting,
 * invalid UTF-8 and lone surrogates, invalid dates and time zones, SQL/HTML/script payloads.
 */

export const payloads = fc.constantFrom(
  "'; DROP TABLE posts; --",
  "\" OR 1=1 --",
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "../../../../etc/passwd",
  "%00",
  "\u0000",
  "\ud800",
  "\udfff\ud800",
  "😀".repeat(400),
  "a".repeat(10_000),
  "2026-02-30T25:61:00+99:00",
  "not-a-date",
  "Mars/Olympus_Mons",
  "NaN",
  "Infinity",
  "-1",
  "1e309",
  "00000000-0000-0000-0000-000000000000",
  "{{7*7}}",
  "${jndi:ldap://127.0.0.1:9/x}",
);

const weirdString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.string({ unit: fc.constantFrom("\ud800", "\udc00", "\u0000", "\uffff", "é", "👩‍👩‍👧"), maxLength: 40 }),
  payloads,
);

export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  weirdString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(weirdString, { maxLength: 5 }),
  fc.dictionary(weirdString, weirdString, { maxKeys: 4 }),
  fc.anything({ maxDepth: 3 }),
);

// `undefined` vanishes in JSON and an empty list is a valid "none": neither breaks a body.
const isWrongEnough = (v: unknown) => v !== undefined && !(Array.isArray(v) && v.length === 0);

/**
 * A valid template with one field replaced by a wrong value, or a required field removed,
 * or an unknown field added — each of which the endpoint must refuse.
 */
export function mutated(
  template: Record<string, unknown>,
  wrong: Record<string, fc.Arbitrary<unknown>>,
  required: string[],
): fc.Arbitrary<unknown> {
  const keys = Object.keys(wrong);
  const variants: Array<fc.Arbitrary<unknown>> = [
    fc
      .constantFrom(...keys)
      .chain((key) => wrong[key]!.filter(isWrongEnough).map((value) => ({ ...template, [key]: value }))),
    fc.tuple(weirdString, weirdValue.filter(isWrongEnough)).map(([k, v]) => ({ ...template, [`x_${k}`]: v })),
  ];
  if (required.length > 0) {
    variants.push(
      fc.constantFrom(...required).map((key) => {
        const copy = { ...template };
        delete copy[key];
        return copy;
      }),
    );
  }
  return fc.oneof(...variants);
}

/** Raw bodies that are not JSON at all, or JSON of absurd shape or size. */
export const rawBodies: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string(),
  payloads,
  fc.constant("{"),
  fc.constant("[1,2"),
  fc.constant('{"text": "\\ud800"}'),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Uint8Array.from([0xff, 0xfe, ...b])),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.integer({ min: 1000, max: 5000 }).map((n) => '{"a":'.repeat(n) + "1" + "}".repeat(n)),
  fc.constant(JSON.stringify({ text: "x".repeat(2 * 1024 * 1024) })),
  fc.anything({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "undefined"),
);

export const pathIds = fc.oneof(
  fc.uuid(),
  weirdString,
  fc.constant("x".repeat(5000)),
  fc.constant("%2e%2e%2f"),
  fc.constant("00000000-0000-0000-0000-00000000000g"),
);

export const queryStrings = fc
  .array(fc.tuple(fc.constantFrom("limit", "cursor", "status", "accountId", "x", "limit[]"), weirdString), {
    maxLength: 4,
  })
  .map((pairs) => new URLSearchParams(pairs).toString());

/** Header values a client can send (no CR, LF or NUL, which no HTTP parser passes on). */
const headerText = fc
  .oneof(fc.string({ unit: "binary-ascii", maxLength: 80 }), fc.string({ maxLength: 40 }), payloads.map((p) => p.slice(0, 200)))
  .map((s) => s.replace(/[\0\r\n]/g, "").replace(/[^\x20-\xff\t]/g, "?"));

/** Session cookies that are not ours: bad percent-encoding, wrong shape, quotes, huge, repeated. */
export const cookieHeaders = fc.oneof(
  headerText.map((v) => `postmore_session=${v}`),
  fc.constantFrom(
    "postmore_session=%E0%A4%A",
    "postmore_session=%",
    'postmore_session="',
    "postmore_session",
    "=;=;;postmore_session==",
    `postmore_session=pms_${"A".repeat(43)}`,
    `postmore_session=pms_${"A".repeat(43)}; postmore_session=%ZZ`,
    `__Host-postmore_session=${"x".repeat(4000)}`,
  ),
  fc.base64String({ minLength: 40, maxLength: 60 }).map((b) => `postmore_session=pms_${b}`),
  headerText,
);

/** Other request headers a hostile client controls, as [name, value] pairs. */
export const hostileHeaders = fc.array(
  fc.tuple(
    fc.constantFrom("authorization", "content-type", "origin", "sec-fetch-site", "x-forwarded-for", "x-request-id", "referer", "accept"),
    fc.oneof(
      headerText,
      fc.constantFrom("Bearer", "Bearer ", "Bearer pmt_x y", "Basic Og==", "null", "cross-site", "same-site", "none", "application/json; charset=latin1", "text/plain", "multipart/form-data"),
    ),
  ),
  { maxLength: 4 },
);
