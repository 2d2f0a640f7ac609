-- (branch perf) The delivery webhook trigger fires on every delivery that settles. Most users
-- have no webhook: find that out first, in the statement that reads the account, and return
-- before building the event's JSON and calling postmore_webhook_emit (which checks again and
-- inserts). Same events for users with a subscribed endpoint; measured ~50-100 µs less
-- PostgreSQL time per published delivery for users without one (docs/BENCHMARKS.md).
CREATE OR REPLACE FUNCTION postmore_delivery_webhook_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  acc record;
  ev_type text := CASE NEW.status WHEN 'published' THEN 'post.published' WHEN 'failed' THEN 'post.failed' ELSE 'post.partially_published' END;
BEGIN
  SELECT a.id, a.user_id, a.platform, a.handle INTO acc FROM social_accounts a
   WHERE a.id = NEW.account_id
     AND EXISTS (SELECT 1 FROM webhooks w WHERE w.user_id = a.user_id AND ev_type = ANY (w.events));
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  PERFORM postmore_webhook_emit(
    acc.user_id,
    ev_type,
    jsonb_build_object(
      'post', jsonb_build_object('id', NEW.post_id),
      'delivery', jsonb_build_object('id', NEW.id, 'status', NEW.status, 'remoteUri', NEW.remote_uri,
        'error', NEW.last_error, 'attempts', NEW.attempts, 'publishedAt', postmore_utc_iso(NEW.published_at)),
      'account', jsonb_build_object('id', acc.id, 'platform', acc.platform, 'handle', acc.handle)));
  RETURN NULL;
END $$;
