-- Version 300 (spans both halves): violation ends kept for work orders created later, silences
-- scoped to a department, and the indexes that keep the retention job's deletes cheap.

-- Every violation end read from the detections topic (first one wins). A work order created
-- after its violation ended gets "cleared at" from here; retention removes rows by received_at.
CREATE TABLE violation_ends (
  violation_id text PRIMARY KEY,
  ended_at     timestamptz NOT NULL,  -- the end's event time (camera frame)
  received_at  timestamptz NOT NULL   -- router clock when it was kept
);
CREATE INDEX violation_ends_received ON violation_ends (received_at);

-- Silences: NULL department = every department (supervisors); a head's silence names theirs.
ALTER TABLE router_silences ADD COLUMN department_id text;
ALTER TABLE router_silences ADD COLUMN expired_by text;
-- ends_at is the effective end (expiring sets it to the expiry time).
CREATE INDEX router_silences_ends ON router_silences (ends_at);

-- Retention (src/retention): each delete walks an index on its age column, restricted by the
-- same predicate the job uses, and the FK checks of the deletes find their children by index.
CREATE INDEX router_group_members_alert ON router_group_members (alert_id);
CREATE INDEX router_groups_idle ON router_groups ((COALESCE(last_flush_at, created_at))) WHERE next_flush_at IS NULL;
CREATE INDEX router_deliveries_finished ON router_deliveries (updated_at) WHERE state IN ('sent', 'failed');
CREATE INDEX router_delivery_attempts_published_at ON router_delivery_attempts (at) WHERE published;
CREATE INDEX work_orders_finished ON work_orders (updated_at) WHERE status IN ('closed', 'returned');
CREATE INDEX alert_feedback_wo ON alert_feedback (work_order_id);
CREATE INDEX work_order_outbox_wo ON work_order_outbox (work_order_id);
