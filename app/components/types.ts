/**
 * Names for the JSON the API answers, taken from the generated OpenAPI schema (api-schema.d.ts) so
 * they cannot drift from the server; only UI-side additions are written by hand here.
 */
import type { ApiJson } from "./api";

export type Account = ApiJson<"/api/accounts", "get">["accounts"][number] & {
  /** Only in the admin list. */
  ownerEmail?: string;
};
export type AccountStatus = Account["status"];

export type Post = ApiJson<"/api/posts/{id}", "get">["post"];
export type PostStatus = Post["status"];
export type Delivery = Post["deliveries"][number];
export type DeliveryStatus = Delivery["status"];
/** One part of a thread as a delivery published it. */
export type DeliverySegment = Delivery["segments"][number];
export type ImageMeta = NonNullable<Post["images"]>[number];

export type QueueOverview = ApiJson<"/api/admin/queues", "get">;
export type FailedJob = ApiJson<"/api/admin/jobs", "get">["failed"][number];
export type WorkersView = ApiJson<"/api/admin/workers", "get">;
