import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { API_SCHEMA_FILE, generateApiTypes } from "@/scripts/apiTypes";

/**
 * The browser's typed client (app/components/api.ts) compiles against the committed
 * api-schema.d.ts; it must be what the current routes and schemas generate, so routes, document
 * and client cannot drift apart unnoticed.
 */
describe("generated API types", () => {
  it("api-schema.d.ts is what `npm run api:types` generates from the current document", async () => {
    const fresh = await generateApiTypes();
    expect(readFileSync(API_SCHEMA_FILE, "utf8") === fresh, "app/components/api-schema.d.ts is stale: run `npm run api:types` and commit it").toBe(true);
  }, 60_000);
});
