/** Client-side mirrors of the JSON the API answers (DESIGN.md, "The HTTP contract"). */

export type AccountStatus = "active" | "needs_reauth" | "disabled";

export interface Account {
  id: string;
  platform: "bluesky" | "mastodon";
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
export type DeliveryStatus = "pending" | "publishing" | "published" | "partially_published" | "failed" | "cancelled";

/** One part of a thread as a delivery published it (present once the API reports it). */
export interface DeliverySegment {
  index: number;
  status: "pending" | "published" | "failed";
  uri: string | null;
  /** The web page that shows it (on the account's own host); null when unknown. */
  url?: string | null;
}

export interface ImageMeta {
  /** Absent only on posts stored before media by reference and not yet migrated. */
  mediaId?: string;
  mimeType: string;
  alt: string;
  url?: string;
}

export interface Delivery {
  id: string;
  accountId: string;
  status: DeliveryStatus;
  remoteUri: string | null;
  attempts: number;
  lastError: string | null;
  publishedAt: string | null;
  segments?: DeliverySegment[];
  /** Set while the delivery waits for the platform's rate limit to reset (ISO 8601). */
  waitingUntil?: string | null;
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

// The admin views are the server's own shapes (type-only imports: nothing server-side ships to the browser).
export type { QueueCounts, QueueOverview, SchedulerView as Scheduler } from "../lib/dashboard/queueOverview";
export type { FailedJobView as FailedJob } from "../lib/dashboard/failedJobs";

export interface WorkersView {
  queues: Record<string, number>;
  alive: boolean;
}
