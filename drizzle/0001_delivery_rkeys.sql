ALTER TABLE "deliveries" ADD COLUMN "rkeys" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "scheduled_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "deliveries_status_scheduled_idx" ON "deliveries" USING btree ("status","scheduled_at");