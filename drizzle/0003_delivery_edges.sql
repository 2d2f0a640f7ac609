ALTER TABLE "deliveries" ADD COLUMN "segment_records" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "waiting_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "rate_limit_waited_ms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "failure_code" text;--> statement-breakpoint
ALTER TABLE "social_accounts" ADD COLUMN "disconnected_at" timestamp with time zone;