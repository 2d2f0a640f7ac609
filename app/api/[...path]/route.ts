import { errorBody, json, route } from "@/app/lib/http/respond";

/** Any /api path without its own route answers a JSON 404, whatever the method. */
const notFound = route<{ path: string[] }>(async (req) =>
  json(errorBody("not_found", `no API route ${new URL(req.url).pathname}`), 404),
);

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
