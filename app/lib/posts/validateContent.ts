import type { PlatformName, PostContent } from "../api/platform";
import { getPlatformService, type PlatformRegistry } from "../api/services/apiManager";
import { AppError } from "../errors";

/** Every platform the post goes to must accept its content; all problems are reported at once. */
export function validateContent(ctx: { platforms: PlatformRegistry }, platforms: Iterable<PlatformName>, content: PostContent): void {
  const problems = new Set<string>();
  for (const platform of new Set(platforms)) {
    for (const p of getPlatformService(ctx, platform).validate(content)) problems.add(p);
  }
  if (problems.size > 0) {
    const list = [...problems];
    throw new AppError("validation_failed", list.join("; "), list.map((message) => ({ path: "text", message })));
  }
}
