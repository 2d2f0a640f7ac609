import { json, route } from "@/app/lib/http/respond";
import { openApiDocument } from "@/app/lib/openapi/document";

/** GET /api/openapi.json: the OpenAPI 3.1 document, public (it describes the API, never data). */
export const GET = route(async () => json(openApiDocument(), 200, { "cache-control": "no-cache" }));
