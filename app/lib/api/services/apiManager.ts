import { createMastodonPlatformService, type MastodonPlatformSettings } from "../mastodon/platformService";
import type { PlatformDescriptor, PlatformName, PlatformService } from "../platform";
import { createBlueSkyService, type BlueSkySettings } from "./blueSkyService";

/**
 * The registry of platform services: the post and refresh queues ask it for the
 * service of an account's platform and never import a platform directly. Each AppContext
 * owns one (`ctx.platforms`); tests and benchmarks swap in their own service with
 * registerPlatformService. A new platform is its own folder plus one line here.
 */
export type PlatformRegistry = Map<PlatformName, PlatformService>;

export interface PlatformSettings {
  bluesky: BlueSkySettings;
  mastodon: MastodonPlatformSettings;
}

export function createPlatformRegistry(settings: PlatformSettings): PlatformRegistry {
  return new Map<PlatformName, PlatformService>([
    ["bluesky", createBlueSkyService(settings.bluesky)],
    ["mastodon", createMastodonPlatformService(settings.mastodon)],
  ]);
}

export function getPlatformService(ctx: { platforms: PlatformRegistry }, name: PlatformName): PlatformService {
  const service = ctx.platforms.get(name);
  if (!service) throw new Error(`no platform service registered for ${JSON.stringify(name)}`);
  return service;
}

export function listPlatformServices(ctx: { platforms: PlatformRegistry }): PlatformService[] {
  return [...ctx.platforms.values()];
}

/** What the composer needs to know of every platform (GET /api/platforms). */
export function platformDescriptors(ctx: { platforms: PlatformRegistry }): PlatformDescriptor[] {
  return listPlatformServices(ctx).map((s) => s.descriptor);
}

/** Installs `service` for its platform; the returned function puts back what was there before. */
export function registerPlatformService(ctx: { platforms: PlatformRegistry }, service: PlatformService): () => void {
  const registry = ctx.platforms;
  const previous = registry.get(service.platform);
  registry.set(service.platform, service);
  return () => {
    if (registry.get(service.platform) !== service) return;
    if (previous) registry.set(service.platform, previous);
    else registry.delete(service.platform);
  };
}
