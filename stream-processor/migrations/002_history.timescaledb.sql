-- History for Grafana, TimescaleDB: hypertables (1-day chunks), continuous aggregates for the
-- rollups, a compression policy. The sink writes only the base tables here; it sets the retention
-- policies itself at start from `sink.retention` (and changes them when the config changes).

CREATE TABLE detection_events (
  event_id        text        NOT NULL,
  event_time      timestamptz NOT NULL,
  violation_id    text        NOT NULL,
  phase           text        NOT NULL,
  type            text        NOT NULL,
  gateway_id      text        NOT NULL,
  camera_id       text        NOT NULL,
  zone_id         text        NOT NULL,
  site_id         text,
  grid_id         text,
  community_id    text,
  shop_id         text,
  object_class    text        NOT NULL,
  score           real        NOT NULL,
  dwell_seconds   real        NOT NULL,
  started_at      timestamptz NOT NULL,
  processed_at    timestamptz NOT NULL,
  end_reason      text,
  evidence_url    text,
  evidence_sha256 text,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, event_time)
);
SELECT create_hypertable('detection_events', 'event_time', chunk_time_interval => interval '1 day');
CREATE INDEX detection_events_violation ON detection_events (violation_id, event_time DESC);

CREATE TABLE camera_health (
  event_id         text        NOT NULL,
  event_time       timestamptz NOT NULL,
  gateway_id       text        NOT NULL,
  camera_id        text        NOT NULL,
  status           text        NOT NULL,
  reason           text        NOT NULL,
  detail           text,
  decoded_fps      real,
  last_frame_age_s real,
  detector_ms      real,
  PRIMARY KEY (event_id, event_time)
);
SELECT create_hypertable('camera_health', 'event_time', chunk_time_interval => interval '1 day');

CREATE TABLE camera_status (
  camera_id  text        PRIMARY KEY,
  gateway_id text        NOT NULL,
  status     text        NOT NULL,
  reason     text        NOT NULL,
  since      timestamptz NOT NULL
);

CREATE TABLE alerts (
  alert_id      text        NOT NULL,
  event_time    timestamptz NOT NULL,
  rule_id       text        NOT NULL,
  rule_kind     text        NOT NULL,
  key           text        NOT NULL,
  type          text        NOT NULL,
  severity      text        NOT NULL,
  title         text        NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  count         integer     NOT NULL,
  violation_ids text[]      NOT NULL,
  camera_ids    text[]      NOT NULL,
  zone_id       text,
  grid_id       text,
  community_id  text,
  shop_id       text,
  labels        jsonb       NOT NULL,
  evidence      jsonb       NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (alert_id, event_time)
);
SELECT create_hypertable('alerts', 'event_time', chunk_time_interval => interval '7 days');

CREATE TABLE shop_score_changes (
  event_id        text        NOT NULL,
  event_time      timestamptz NOT NULL,
  rule_id         text        NOT NULL,
  shop_id         text        NOT NULL,
  score           double precision NOT NULL,
  colour          text        NOT NULL,
  previous_colour text        NOT NULL,
  PRIMARY KEY (event_id, event_time)
);
CREATE INDEX shop_score_changes_shop ON shop_score_changes (shop_id, event_time);

CREATE MATERIALIZED VIEW violations_hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket(interval '1 hour', event_time) AS bucket, camera_id, zone_id, type,
         count(*) FILTER (WHERE phase = 'start') AS starts, count(*) AS events
  FROM detection_events GROUP BY 1, 2, 3, 4
  WITH NO DATA;
SELECT add_continuous_aggregate_policy('violations_hourly',
  start_offset => interval '3 days', end_offset => interval '1 minute', schedule_interval => interval '1 minute');

CREATE MATERIALIZED VIEW alerts_hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket(interval '1 hour', event_time) AS bucket, rule_id, type, severity, count(*) AS alerts
  FROM alerts GROUP BY 1, 2, 3, 4
  WITH NO DATA;
SELECT add_continuous_aggregate_policy('alerts_hourly',
  start_offset => interval '3 days', end_offset => interval '1 minute', schedule_interval => interval '5 minutes');

ALTER TABLE detection_events SET (timescaledb.compress, timescaledb.compress_segmentby = 'camera_id');
SELECT add_compression_policy('detection_events', interval '7 days');
