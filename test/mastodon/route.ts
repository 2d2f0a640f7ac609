import type { HandlerContext } from "./mastodonDouble";

/** The double's routes; `template` is the path as the OpenAPI document names it. */
export type Handler = (ctx: HandlerContext) => void | Promise<void>;
export interface Route {
  name: string;
  method: string;
  template: string;
  pattern: RegExp;
  handler: Handler;
  /** Schema component for statuses the document lists without a body (206 of media). */
  fallbackSchema?: Record<number, string>;
}

export function route(method: string, template: string, handler: Handler, fallbackSchema?: Record<number, string>): Route {
  const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, "(?<$1>[^/]+)")}$`);
  return { name: `${method} ${template}`, method, template, pattern, handler, fallbackSchema };
}
