import { mastodonPlatformService } from "../mastodon/platformService";
import type { PlatformDescriptor, PlatformName, PlatformService } from "../platform";
import { blueSkyService } from "./blueSkyService";

/**
 * The registry of platform services: the post and refresh queues ask it for the
 * service of an account's platform and never import a platform directly.
 * Tests and benchmarks swap in their own service with registerPlatformService.
 * A new platform is its own folder plus one line here.
 */
const registry = new Map<PlatformName, PlatformService>([
  ["bluesky", blueSkyService],
  ["mastodon", mastodonPlatformService],
]);

export function getPlatformService(name: PlatformName): PlatformService {
  const service = registry.get(name);
  if (!service) throw new Error(`no platform service registered for ${JSON.stringify(name)}`);
  return service;
}

export function listPlatformServices(): PlatformService[] {
  return [...registry.values()];
}

/** What the composer needs to know of every platform (GET /api/platforms). */
export function platformDescriptors(): PlatformDescriptor[] {
  return listPlatformServices().map((s) => s.descriptor);
}

/** Installs `service` for its platform; the returned function puts back what was there before. */
export function registerPlatformService(service: PlatformService): () => void {
  const previous = registry.get(service.platform);
  registry.set(service.platform, service);
  return () => {
    if (registry.get(service.platform) !== service) return;
    if (previous) registry.set(service.platform, previous);
    else registry.delete(service.platform);
  };
}
