/** Client-side mirrors of the JSON the API answers (DESIGN.md, "The HTTP contract"). */

export type AccountStatus = "active" | "needs_reauth" | "disabled";

export interface Account {
  id: string;
  platform: "bluesky";
  handle: string;
  did: string;
  service: string;
  status: AccountStatus;
  lastRefreshedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
  /** Only in the admin list. */
  ownerEmail?: string;
}

export type PostStatus = "scheduled" | "publishing" | "published" | "partially_failed" | "failed" | "cancelled";
export type DeliveryStatus = "pending" | "publishing" | "published" | "failed" | "cancelled";

export interface ImageMeta {
  mimeType: string;
  alt: string;
}

export interface Delivery {
  id: string;
  accountId: string;
  status: DeliveryStatus;
  remoteUri: string | null;
  attempts: number;
  lastError: string | null;
  publishedAt: string | null;
}

export interface Post {
  id: string;
  text: string;
  scheduledAt: string;
  timeZone: string;
  status: PostStatus;
  images?: ImageMeta[];
  thread?: Array<{ text: string; images?: ImageMeta[] }>;
  createdAt: string;
  updatedAt: string;
  deliveries: Delivery[];
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

export interface Scheduler {
  id: string;
  queue: string;
  pattern: string | null;
  every: number | null;
  tz: string | null;
  limit: number | null;
  iterations: number;
  next: string | null;
}

export interface QueueOverview {
  queues: Record<string, QueueCounts>;
  schedulers: Scheduler[];
}

export interface FailedJob {
  queue: string;
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string | null;
  createdAt: string | null;
  finishedAt: string | null;
  deliveryId: string | null;
  accountId: string | null;
}

export interface WorkersView {
  queues: Record<string, number>;
  alive: boolean;
}
