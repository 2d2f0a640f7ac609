import type { ImageInfo, PlatformName, PostContent } from "../api/platform";
import { getPlatformService, type PlatformRegistry } from "../api/services/apiManager";
import { AppError } from "../errors";

/**
 * Every account the post goes to must accept its content, by its own limits (a Mastodon
 * instance sets its own); all problems are reported at once.
 */
export async function validateContent(
  ctx: { platforms: PlatformRegistry },
  accounts: Iterable<{ platform: PlatformName; instanceUrl: string }>,
  content: PostContent<ImageInfo>,
): Promise<void> {
  const problems = new Set<string>();
  const judged = new Set<string>();
  for (const account of accounts) {
    const service = getPlatformService(ctx, account.platform);
    const limits = service.descriptorFor ? await service.descriptorFor(account) : undefined;
    // Accounts with the same limits give the same answer: judged once.
    const key = `${account.platform}:${limits ? JSON.stringify(limits) : ""}`;
    if (judged.has(key)) continue;
    judged.add(key);
    for (const p of service.validate(content, limits)) problems.add(p);
  }
  if (problems.size > 0) {
    const list = [...problems];
    throw new AppError("validation_failed", list.join("; "), list.map((message) => ({ path: "text", message })));
  }
}
