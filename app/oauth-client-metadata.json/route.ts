import { getBlueskyOAuthClient } from "@/app/lib/api/bluesky/oauth/client";
import { blueskyOAuthMode } from "@/app/lib/api/bluesky/oauth/metadata";
import { getAppContext } from "@/app/lib/context";
import { AppError } from "@/app/lib/errors";
import { json, route } from "@/app/lib/http/respond";

export const dynamic = "force-dynamic";

/** Bluesky OAuth client metadata: the client_id URL itself (confidential mode only). */
export const GET = route(async () => {
  const ctx = getAppContext();
  if (blueskyOAuthMode(ctx.config) !== "confidential") {
    throw new AppError("not_found", "Bluesky OAuth runs as a loopback client here (PUBLIC_URL is not https): no client metadata to publish");
  }
  const client = await getBlueskyOAuthClient(ctx);
  return json(client.clientMetadata, 200, { "cache-control": "public, max-age=600" });
});
