CREATE TABLE "webhook_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"status_code" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"webhook_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"enqueued_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"url" text NOT NULL,
	"events" text[] NOT NULL,
	"secret" text NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"paused_at" timestamp with time zone,
	"paused_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_webhook_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."webhook_events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_webhook_event_key" ON "webhook_deliveries" USING btree ("webhook_id","event_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_idx" ON "webhook_deliveries" USING btree ("webhook_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_unqueued_idx" ON "webhook_deliveries" USING btree ("created_at") WHERE enqueued_at IS NULL;--> statement-breakpoint
CREATE INDEX "webhook_events_created_idx" ON "webhook_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "webhooks_user_idx" ON "webhooks" USING btree ("user_id");--> statement-breakpoint
-- The webhook outbox is written by triggers, so an event is recorded in the very transaction
-- that changes the delivery or account it reports, whichever code path makes the change
-- (the post worker, the reconciler, a reconnect, any platform). Users without a subscribed
-- endpoint pay one indexed lookup; the worker's relay puts the rows on the "webhooks" queue.
CREATE OR REPLACE FUNCTION postmore_webhook_emit(p_user uuid, p_type text, p_data jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  ev uuid;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM webhooks WHERE user_id = p_user AND p_type = ANY (events)) THEN
    RETURN;
  END IF;
  INSERT INTO webhook_events (user_id, type, data) VALUES (p_user, p_type, p_data) RETURNING id INTO ev;
  INSERT INTO webhook_deliveries (webhook_id, event_id)
    SELECT id, ev FROM webhooks WHERE user_id = p_user AND p_type = ANY (events);
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION postmore_utc_iso(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION postmore_delivery_webhook_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  acc record;
BEGIN
  SELECT id, user_id, platform, handle INTO acc FROM social_accounts WHERE id = NEW.account_id;
  PERFORM postmore_webhook_emit(
    acc.user_id,
    CASE NEW.status WHEN 'published' THEN 'post.published' WHEN 'failed' THEN 'post.failed' ELSE 'post.partially_published' END,
    jsonb_build_object(
      'post', jsonb_build_object('id', NEW.post_id),
      'delivery', jsonb_build_object('id', NEW.id, 'status', NEW.status, 'remoteUri', NEW.remote_uri,
        'error', NEW.last_error, 'attempts', NEW.attempts, 'publishedAt', postmore_utc_iso(NEW.published_at)),
      'account', jsonb_build_object('id', acc.id, 'platform', acc.platform, 'handle', acc.handle)));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER deliveries_webhook_event AFTER UPDATE OF status ON deliveries FOR EACH ROW
  WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('published', 'failed', 'partially_published'))
  EXECUTE FUNCTION postmore_delivery_webhook_event();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION postmore_account_webhook_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM postmore_webhook_emit(
    NEW.user_id,
    CASE WHEN NEW.status = 'active' THEN 'account.reconnected' ELSE 'account.needs_reconnect' END,
    jsonb_build_object('account', jsonb_build_object('id', NEW.id, 'platform', NEW.platform, 'handle', NEW.handle,
      'status', NEW.status, 'error', NEW.last_error)));
  RETURN NULL;
END $$;
--> statement-breakpoint
-- needs_reconnect: the platform refused the account (needs_reauth, or disabled as gone — not a
-- user's own disconnect); reconnected: such an account is active again.
CREATE TRIGGER social_accounts_webhook_event AFTER UPDATE OF status ON social_accounts FOR EACH ROW
  WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.disconnected_at IS NULL AND OLD.disconnected_at IS NULL AND (
    NEW.status = 'needs_reauth' OR NEW.status = 'disabled' OR (NEW.status = 'active' AND OLD.status IN ('needs_reauth', 'disabled'))))
  EXECUTE FUNCTION postmore_account_webhook_event();
