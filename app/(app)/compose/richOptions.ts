import { parsePostRef } from "../../lib/api/bluesky/postLink";

/** The Bluesky options of a draft (contract v1.3), kept with the draft in localStorage. */
export interface DraftRich {
  langs: string[];
  linkCard: boolean;
  quote: string;
  labels: string[];
  replyControl: "everyone" | "nobody" | "mention" | "following" | "followers";
  disableQuotes: boolean;
}

export const LABELS = [
  { value: "sexual", label: "Suggestive" },
  { value: "nudity", label: "Nudity" },
  { value: "porn", label: "Adult (porn)" },
  { value: "graphic-media", label: "Graphic media" },
] as const;

export const LANGUAGES = [
  ["en", "English"], ["es", "Spanish"], ["pt", "Portuguese"], ["pt-BR", "Portuguese (Brazil)"], ["fr", "French"], ["de", "German"],
  ["it", "Italian"], ["nl", "Dutch"], ["pl", "Polish"], ["sv", "Swedish"], ["uk", "Ukrainian"], ["ru", "Russian"], ["tr", "Turkish"],
  ["ar", "Arabic"], ["hi", "Hindi"], ["ja", "Japanese"], ["ko", "Korean"], ["zh", "Chinese"], ["id", "Indonesian"], ["fa", "Persian"],
] as const;

export const MAX_LANGS = 3;
const LAST_LANGS_KEY = "postmore.composer.langs.v1";

/** The languages the user chose last time (saved when a post was sent), else the browser's language. */
export function lastLangs(): string[] {
  try {
    const saved = JSON.parse(window.localStorage.getItem(LAST_LANGS_KEY) ?? "null") as unknown;
    if (Array.isArray(saved) && saved.every((l) => typeof l === "string")) return saved.slice(0, MAX_LANGS);
  } catch {
    // fall through to the browser's language
  }
  const browser = typeof navigator !== "undefined" ? navigator.language?.split("-")[0] : undefined;
  return browser && /^[a-z]{2,3}$/.test(browser) ? [browser] : [];
}

export function rememberLangs(langs: string[]): void {
  try {
    window.localStorage.setItem(LAST_LANGS_KEY, JSON.stringify(langs));
  } catch {
    // storage unavailable: next time starts from the browser's language
  }
}

export const defaultRich = (): DraftRich => ({ langs: lastLangs(), linkCard: true, quote: "", labels: [], replyControl: "everyone", disableQuotes: false });

/** The request fields for the options (only what differs from the defaults). */
export function richFields(r: DraftRich | undefined): Record<string, unknown> {
  if (!r) return {};
  return {
    ...(r.langs.length > 0 ? { langs: r.langs } : {}),
    ...(r.linkCard ? {} : { linkCard: false }),
    ...(r.quote.trim() ? { quote: r.quote.trim() } : {}),
    ...(r.labels.length > 0 ? { labels: r.labels } : {}),
    ...(r.replyControl === "everyone" ? {} : { replyControl: r.replyControl === "nobody" ? "nobody" : { allow: [r.replyControl] } }),
    ...(r.disableQuotes ? { disableQuotes: true } : {}),
  };
}

/** The post a quote names (the same check the server makes), or undefined while it names none. */
export const quoteTarget = (input: string) => parsePostRef(input);
