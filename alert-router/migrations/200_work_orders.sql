-- Work orders (派遣 签收 处置 反馈 核查 结案 退单): one per (alert, department), their history,
-- a transactional outbox drained to streetwatch.work-orders.v1, escalations, photos, alert
-- feedback (false positive / duplicate) for precision panels, and the API audit log.

CREATE TABLE work_orders (
  id                 text PRIMARY KEY,
  number             bigserial NOT NULL UNIQUE,
  alert_id           text NOT NULL,
  department_id      text NOT NULL,
  status             text NOT NULL CHECK (status IN ('dispatched', 'signed', 'handled', 'verified', 'closed', 'returned')),
  version            integer NOT NULL DEFAULT 0,
  alert              jsonb NOT NULL,
  type               text NOT NULL,
  severity           text NOT NULL,
  title              text NOT NULL,
  zone_id            text,
  grid_id            text,
  community_id       text,
  shop_id            text,
  camera_ids         text[] NOT NULL,
  violation_ids      text[] NOT NULL DEFAULT '{}',
  lat                double precision,
  lon                double precision,
  event_time         timestamptz NOT NULL,
  dispatched_at      timestamptz NOT NULL,
  signed_at          timestamptz,
  signed_by          text,
  handled_at         timestamptz,
  handled_by         text,
  verified_at        timestamptz,
  verified_by        text,
  closed_at          timestamptz,
  closed_by          text,
  feedback           text,
  return_reason      text,
  resolution         text CHECK (resolution IN ('resolved', 'false_positive', 'duplicate')),
  cleared_at         timestamptz,
  cleared_violation_ids text[] NOT NULL DEFAULT '{}',
  redispatched_from  text,
  redispatched_to    text,
  deadline_step      text CHECK (deadline_step IN ('sign', 'handle', 'verify')),
  deadline_at        timestamptz,
  deadline_round     integer NOT NULL DEFAULT 1,
  escalation_level   integer NOT NULL DEFAULT 0,
  next_escalation_at timestamptz,
  updated_at         timestamptz NOT NULL,
  UNIQUE (alert_id, department_id)
);
CREATE INDEX work_orders_dept_status ON work_orders (department_id, status, dispatched_at DESC);
CREATE INDEX work_orders_status ON work_orders (status, dispatched_at DESC);
CREATE INDEX work_orders_next_escalation ON work_orders (next_escalation_at) WHERE next_escalation_at IS NOT NULL;
CREATE INDEX work_orders_violations ON work_orders USING gin (violation_ids);

CREATE TABLE work_order_history (
  work_order_id text NOT NULL REFERENCES work_orders (id),
  seq           integer NOT NULL,
  event_id      text NOT NULL UNIQUE,
  action        text NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  actor_kind    text NOT NULL CHECK (actor_kind IN ('user', 'system')),
  actor_id      text NOT NULL,
  actor_role    text,
  note          text,
  deadline_at   timestamptz,
  at            timestamptz NOT NULL,
  PRIMARY KEY (work_order_id, seq)
);

-- Written in the same transaction as the history row; drained in id order (per work order the
-- ids follow commit order because transitions lock the work order row first).
CREATE TABLE work_order_outbox (
  id            bigserial PRIMARY KEY,
  work_order_id text NOT NULL,
  event         jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text
);

CREATE TABLE work_order_escalations (
  key           text PRIMARY KEY,   -- <workOrderId>:<step>-<round>:<level>, the Notifier's idempotency key
  work_order_id text NOT NULL REFERENCES work_orders (id),
  step          text NOT NULL,
  round         integer NOT NULL,
  level         integer NOT NULL,
  target        text NOT NULL,
  due_at        timestamptz NOT NULL,
  fired_at      timestamptz NOT NULL,
  notified_at   timestamptz,
  cancelled_at  timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text
);
CREATE INDEX work_order_escalations_pending ON work_order_escalations (fired_at)
  WHERE notified_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX work_order_escalations_wo ON work_order_escalations (work_order_id, level);

CREATE TABLE work_order_photos (
  id            text PRIMARY KEY,
  work_order_id text NOT NULL REFERENCES work_orders (id),
  file_name     text NOT NULL,
  content_type  text NOT NULL,
  bytes         integer NOT NULL,
  sha256        text NOT NULL,
  uploaded_by   text NOT NULL,
  history_seq   integer NOT NULL,
  at            timestamptz NOT NULL
);
CREATE INDEX work_order_photos_wo ON work_order_photos (work_order_id);

-- One mark per alert (first wins): the dispatcher's verdict on the detection itself.
CREATE TABLE alert_feedback (
  alert_id      text PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('false_positive', 'duplicate')),
  duplicate_of  text,
  work_order_id text NOT NULL REFERENCES work_orders (id),
  department_id text NOT NULL,
  type          text NOT NULL,
  zone_id       text,
  camera_ids    text[] NOT NULL,
  note          text,
  actor_id      text NOT NULL,
  at            timestamptz NOT NULL
);

-- Precision panels: per zone and camera, alerts dispatched vs marked false positive / duplicate.
CREATE VIEW alert_precision AS
WITH alerts AS (
  SELECT DISTINCT ON (alert_id) alert_id, type, coalesce(zone_id, '') AS zone_id, camera_ids
  FROM work_orders ORDER BY alert_id, dispatched_at
), per_camera AS (
  SELECT a.alert_id, a.type, a.zone_id, cam AS camera_id FROM alerts a, unnest(a.camera_ids) AS cam
)
SELECT p.zone_id, p.camera_id, p.type,
       count(*)::integer AS alerts,
       (count(*) FILTER (WHERE f.kind = 'false_positive'))::integer AS false_positives,
       (count(*) FILTER (WHERE f.kind = 'duplicate'))::integer AS duplicates,
       1.0 - (count(*) FILTER (WHERE f.kind = 'false_positive'))::float8 / count(*) AS precision
FROM per_camera p LEFT JOIN alert_feedback f USING (alert_id)
GROUP BY p.zone_id, p.camera_id, p.type;

-- Every API action: who, what, when, from where, result. Tokens are never stored.
CREATE TABLE api_audit (
  id            bigserial PRIMARY KEY,
  at            timestamptz NOT NULL,
  user_id       text,
  department_id text,
  role          text,
  action        text NOT NULL,
  work_order_id text,
  method        text NOT NULL,
  path          text NOT NULL,
  ip            text,
  user_agent    text,
  result        text NOT NULL,
  status_code   integer NOT NULL,
  error_code    text,
  detail        jsonb
);
CREATE INDEX api_audit_at ON api_audit (at);
CREATE INDEX api_audit_user ON api_audit (user_id, at);
CREATE INDEX api_audit_wo ON api_audit (work_order_id) WHERE work_order_id IS NOT NULL;
