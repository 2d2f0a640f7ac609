ALTER TABLE "mastodon_apps" ADD COLUMN "limits" jsonb;--> statement-breakpoint
ALTER TABLE "mastodon_apps" ADD COLUMN "limits_fetched_at" timestamp with time zone;