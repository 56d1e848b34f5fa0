-- Delivery half of the alert router (versions 100-199). Times are the router clock's, passed in.

-- Every alert once: the consumer commits its Kafka offset only after this row is committed.
CREATE TABLE router_alerts (
  alert_id text PRIMARY KEY,
  alert jsonb NOT NULL,
  source_partition integer,
  source_offset text,
  received_at timestamptz NOT NULL
);
CREATE INDEX router_alerts_received ON router_alerts (received_at);

-- Notification groups (route x department x groupBy values) and their timers.
CREATE TABLE router_groups (
  group_key text PRIMARY KEY,
  department_id text NOT NULL,
  route text NOT NULL,
  labels jsonb NOT NULL,
  channels text[],
  group_wait_ms bigint NOT NULL,
  group_interval_ms bigint NOT NULL,
  repeat_interval_ms bigint NOT NULL,
  created_at timestamptz NOT NULL,
  next_flush_at timestamptz,
  last_flush_at timestamptz,
  last_notified_at timestamptz,
  flushes integer NOT NULL DEFAULT 0
);
CREATE INDEX router_groups_due ON router_groups (next_flush_at) WHERE next_flush_at IS NOT NULL;

-- Alert x department in a group: pending until a flush notifies or suppresses it.
CREATE TABLE router_group_members (
  group_key text NOT NULL REFERENCES router_groups (group_key),
  alert_id text NOT NULL REFERENCES router_alerts (alert_id),
  department_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'notified', 'suppressed')),
  suppressed_by text,
  work_order_id text,
  added_at timestamptz NOT NULL,
  notified_at timestamptz,
  PRIMARY KEY (group_key, alert_id)
);

-- The durable delivery queue: one row per notification x channel, keyed by its idempotency key.
-- The row (INTENT) exists before the provider is called; `inflight` + lease marks a call in progress.
CREATE TABLE router_deliveries (
  idempotency_key text PRIMARY KEY,
  delivery_id text NOT NULL,
  alert_id text NOT NULL,
  alert_ids text[] NOT NULL,
  department_id text NOT NULL,
  work_order_id text,
  channel_name text NOT NULL,
  channel_type text NOT NULL,
  target text NOT NULL,
  message jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'inflight', 'retrying', 'sent', 'failed', 'dead', 'held')),
  attempts integer NOT NULL DEFAULT 0,
  uncertain boolean NOT NULL DEFAULT false,
  next_attempt_at timestamptz NOT NULL,
  lease_until timestamptz,
  provider_message_id text,
  last_error_code text,
  last_error text,
  fallback_of text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX router_deliveries_due ON router_deliveries (next_attempt_at) WHERE state IN ('pending', 'retrying');
CREATE INDEX router_deliveries_inflight ON router_deliveries (lease_until) WHERE state = 'inflight';
CREATE INDEX router_deliveries_alert ON router_deliveries (alert_id);

-- Every attempt and outcome; `published` = its Delivery event reached streetwatch.deliveries.v1.
CREATE TABLE router_delivery_attempts (
  id bigserial PRIMARY KEY,
  idempotency_key text NOT NULL,
  attempt integer NOT NULL,
  outcome text NOT NULL,
  event jsonb NOT NULL,
  published boolean NOT NULL DEFAULT false,
  at timestamptz NOT NULL
);
CREATE INDEX router_delivery_attempts_key ON router_delivery_attempts (idempotency_key);
CREATE INDEX router_delivery_attempts_unpublished ON router_delivery_attempts (id) WHERE NOT published;

CREATE TABLE router_silences (
  silence_id text PRIMARY KEY,
  matcher jsonb NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  created_by text NOT NULL,
  comment text NOT NULL,
  created_at timestamptz NOT NULL,
  expired_at timestamptz
);
