/// <reference types="vite/client" />
import fs from "node:fs";
import path from "node:path";

/** Every API route file and the HTTP methods it exports, found on disk (so no route escapes the suites). */
export function discoverRoutes(): Array<{ file: string; pattern: string; methods: string[] }> {
  const root = path.resolve(import.meta.dirname, "../../app/api");
  const out: Array<{ file: string; pattern: string; methods: string[] }> = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "__tests__") walk(full);
      else if (entry.name === "route.ts") {
        const src = fs.readFileSync(full, "utf8");
        const methods = [...src.matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]!);
        const rel = path.relative(root, path.dirname(full)).split(path.sep).join("/");
        out.push({ file: full, pattern: `/api${rel ? `/${rel}` : ""}`, methods });
      }
    }
  };
  walk(root);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- every route has its own params type
type Handler = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

// Vite resolves this glob at build time: every route module, keyed by its path.
const modules = import.meta.glob<Record<string, Handler>>("/app/api/**/route.ts");

/** Loads a route module by its URL pattern, e.g. "/api/posts/[id]". */
export async function loadRoute(pattern: string): Promise<Record<string, Handler>> {
  const load = modules[`/app${pattern}/route.ts`];
  if (!load) throw new Error(`no route module for ${pattern}`);
  return load();
}
