import { requireUser } from "@/app/lib/auth/authenticate";
import { getAppContext } from "@/app/lib/context";
import { AppError } from "@/app/lib/errors";
import { readBodyCapped } from "@/app/lib/http/body";
import { json, route } from "@/app/lib/http/respond";
import { importPosts, readImportFile } from "@/app/lib/posts/importPosts";

export const dynamic = "force-dynamic";

/**
 * POST /api/posts/import: the file itself is the body, `Content-Type: text/csv` or
 * `application/json` (up to 1 MiB). 201 `{"imported","posts"}`; 422 import_invalid with
 * `details.rows` naming each bad row, and nothing stored.
 */
export const POST = route(async (req) => {
  const ctx = getAppContext();
  const user = await requireUser(ctx, req);
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const kind = type === "text/csv" ? "csv" : type === "application/json" ? "json" : undefined;
  if (!kind) throw new AppError("unsupported_media_type", "send the file with Content-Type: text/csv or application/json");
  const rows = readImportFile(kind, await readBodyCapped(req));
  return json(await importPosts(ctx, user.id, rows), 201);
});
