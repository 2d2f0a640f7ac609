import type { ImageInfo, ImageInput, PlatformName, PostContent } from "../api/platform";
import { getPlatformService } from "../api/services/apiManager";
import { ensureFreshSession } from "../accounts/refresh";
import type { AppContext } from "../context";
import { AppError } from "../errors";
import { logger } from "../logger";

const log = logger("posts");

/**
 * branch video: before a post with a video is stored, each account's platform is asked whether
 * it will take it (Bluesky: getUploadLimits). A refusal is 422 with the platform's reason; a
 * platform that cannot be asked is 502: scheduling a post that would surely fail helps nobody,
 * and the person can try again in a moment. Posts without video ask nothing (no extra call).
 */
export async function checkPlatformLimits(
  ctx: AppContext,
  accounts: Array<{ id: string; platform: PlatformName; handle: string }>,
  content: PostContent<ImageInput | ImageInfo>,
): Promise<void> {
  if (!content.segments.some((s) => s.video)) return;
  for (const a of accounts) {
    const service = getPlatformService(ctx, a.platform);
    if (!service.checkLimits) continue;
    let result;
    try {
      result = await service.checkLimits(await ensureFreshSession(ctx, a.id), content);
    } catch (err) {
      log.warn({ err, accountId: a.id }, "could not check the platform's limits");
      throw new AppError("upstream_unreachable", `@${a.handle}: could not check whether ${service.descriptor.label} will take this video (${err instanceof Error ? err.message : String(err)}); try again later`);
    }
    if (result.ok) continue;
    throw new AppError(result.reason === "refused" ? "unprocessable" : "upstream_unreachable", `@${a.handle}: ${result.message}`);
  }
}
