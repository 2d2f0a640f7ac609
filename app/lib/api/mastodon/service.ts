import { normaliseInstanceUrl, restClient, type MastodonHttpSettings } from "./client";
import { classifyMastodonError } from "./errors";
import { fetchInstanceLimits, type MastodonLimits } from "./instance";
import type { MediaPolling } from "./media";
import { authorizeUrl, createPkce, ensureApp, exchangeCode, revokeToken, type AppRegistration, type MastodonAppStore } from "./oauth";
import { publishStatuses, type MastodonAccount, type MastodonPublishRequest, type MastodonPublishResult, type PublishSettings } from "./publish";
import { countMastodonCharacters } from "./text";

/**
 * Mastodon as a platform, self-contained: connecting by OAuth, validating against the
 * instance's own limits, publishing exactly once. Shaped to back a PlatformService once the
 * platform-neutral core (issue 15, items 1-3) exists; nothing here is registered yet.
 */

export interface MastodonSettings {
  http: MastodonHttpSettings;
  media: MediaPolling;
  /** Who we are to an instance: the app's name, callback URL and website. */
  registration: AppRegistration;
  now?: () => number;
}

export const DEFAULT_MEDIA_POLLING: MediaPolling = { intervalMs: 1000, timeoutMs: 60_000 };

export interface MastodonIdentity {
  remoteAccountId: string;
  username: string;
  /** `@user@host`, how people write a Mastodon handle. */
  handle: string;
  profileUrl: string | null;
}

export interface ConnectStart {
  authorizeUrl: string;
  /** Keep it server-side with the state until the callback; it proves the code is ours. */
  codeVerifier: string;
  instanceUrl: string;
}

export function createMastodonService(settings: MastodonSettings, apps: MastodonAppStore) {
  async function verifyCredentials(instanceUrl: string, accessToken: string): Promise<MastodonIdentity> {
    try {
      const me = await restClient(instanceUrl, settings.http, accessToken).v1.accounts.verifyCredentials();
      return { remoteAccountId: me.id, username: me.username, handle: `@${me.username}@${new URL(instanceUrl).host}`, profileUrl: me.url ?? null };
    } catch (err) {
      throw classifyMastodonError(err, "checking the account", settings.now?.());
    }
  }

  return {
    platform: "mastodon" as const,

    /** Registers the app on the instance if needed and builds the consent URL. */
    async startConnect(instance: string, state: string): Promise<ConnectStart> {
      const instanceUrl = normaliseInstanceUrl(instance);
      const app = await ensureApp(apps, instanceUrl, settings.registration, settings.http);
      const pkce = createPkce();
      return { authorizeUrl: authorizeUrl(app, { state, codeChallenge: pkce.challenge }), codeVerifier: pkce.verifier, instanceUrl };
    },

    /** The callback's half: code → token → whose account it is. */
    async finishConnect(instanceUrl: string, code: string, codeVerifier: string): Promise<MastodonIdentity & { accessToken: string }> {
      const app = await apps.get(instanceUrl);
      if (!app) throw new TypeError(`no app registered on ${instanceUrl}; start connecting again`);
      const accessToken = await exchangeCode(app, { code, codeVerifier }, settings.http);
      return { ...(await verifyCredentials(instanceUrl, accessToken)), accessToken };
    },

    verifyCredentials,

    async disconnect(account: MastodonAccount): Promise<void> {
      const app = await apps.get(account.instanceUrl);
      if (app) await revokeToken(app, account.accessToken, settings.http);
    },

    instanceLimits: (instanceUrl: string): Promise<MastodonLimits> => fetchInstanceLimits(instanceUrl, settings.http),

    /** Problems a person can fix before anything is stored (empty when valid). */
    validate(request: Pick<MastodonPublishRequest, "segments" | "spoilerText">, limits: MastodonLimits): string[] {
      return validateForMastodon(request, limits);
    },

    publish(account: MastodonAccount, request: MastodonPublishRequest, onSegment?: PublishSettings["onSegment"]): Promise<MastodonPublishResult> {
      return publishStatuses(account, request, { http: settings.http, media: settings.media, now: settings.now, onSegment });
    },
  };
}

export type MastodonService = ReturnType<typeof createMastodonService>;

/** An image as validation sees it: its size given, or its bytes at hand. */
type ImageToCheck = { mimeType: string; alt: string } & ({ size: number } | { bytes: Uint8Array });

export function validateForMastodon(
  request: { segments: Array<{ text: string; images?: ImageToCheck[] }>; spoilerText?: string },
  limits: MastodonLimits,
): string[] {
  const problems: string[] = [];
  const many = request.segments.length > 1;
  request.segments.forEach((segment, i) => {
    const where = many ? `part ${i + 1}: ` : "";
    const images = segment.images ?? [];
    const length = countMastodonCharacters(segment.text, { spoilerText: request.spoilerText, urlLength: limits.charactersReservedPerUrl });
    if (segment.text.trim() === "" && images.length === 0) problems.push(`${where}the text is empty`);
    if (length > limits.maxCharacters) problems.push(`${where}${length} characters, the instance allows ${limits.maxCharacters}`);
    if (images.length > limits.maxMediaAttachments) problems.push(`${where}${images.length} images, the instance allows ${limits.maxMediaAttachments}`);
    images.forEach((image, j) => {
      const which = many ? `part ${i + 1}, image ${j + 1}` : `image ${j + 1}`;
      if (!limits.supportedMimeTypes.includes(image.mimeType)) problems.push(`${which}: ${image.mimeType} is not accepted`);
      if (("size" in image ? image.size : image.bytes.byteLength) > limits.imageSizeLimit) problems.push(`${which}: larger than ${limits.imageSizeLimit} bytes`);
      if ([...image.alt].length > limits.descriptionLimit) problems.push(`${which}: alt text longer than ${limits.descriptionLimit} characters`);
    });
  });
  return problems;
}
