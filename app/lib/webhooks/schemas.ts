import { z } from "zod";
import { webhookEventTypes } from "../db/schema";

export const webhookEventSchema = z.enum(webhookEventTypes);

export const createWebhookBody = z
  .object({
    url: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).max(2000),
    events: z.array(webhookEventSchema).min(1).max(webhookEventTypes.length),
  })
  .strict();
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

export const publicWebhookSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(webhookEventSchema),
  status: z.enum(["active", "paused"]),
  pausedAt: z.string().nullable(),
  pausedReason: z.string().nullable(),
  consecutiveFailures: z.number().int(),
  createdAt: z.string(),
});
export type PublicWebhook = z.infer<typeof publicWebhookSchema>;
