-- What a notification says is stored once, not on every delivery row. A group flush (or an
-- escalation notice) goes out on several channels with the same content, and every state change of a
-- delivery row (claim, outcome, recovery) rewrote the whole row, message included: at burst that was
-- most of the bytes the router sent to PostgreSQL and most of the WAL of its updates. Deliveries now
-- name their notification; a fallback names its original's. The `ref:` line (the delivery's own key)
-- is added when the message is sent, so the stored text is the same for every channel.
CREATE TABLE router_notifications (
  notification_key text PRIMARY KEY,
  message jsonb NOT NULL,
  created_at timestamptz NOT NULL
);

ALTER TABLE router_deliveries ADD COLUMN notification_key text;

-- Existing rows keep their own message as their notification, without the ref line it carried.
INSERT INTO router_notifications (notification_key, message, created_at)
SELECT idempotency_key,
       CASE WHEN message ? 'markdown'
         THEN jsonb_set(message, '{markdown}', to_jsonb(regexp_replace(message ->> 'markdown', E'\n\nref: dk-[0-9a-f]+$', '')))
         ELSE message END,
       created_at
FROM router_deliveries;
UPDATE router_deliveries SET notification_key = idempotency_key;

ALTER TABLE router_deliveries ALTER COLUMN notification_key SET NOT NULL;
ALTER TABLE router_deliveries DROP COLUMN message;
-- No index on notification_key: every index costs each write of a delivery row (insert, claim,
-- outcome), about 10% of PostgreSQL's CPU per alert at a burst. The deliveries of one notification
-- share its first alert (alert_id, indexed), and retention finds them through it.
