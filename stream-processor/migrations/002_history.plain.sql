-- History for Grafana, plain PostgreSQL: tables range-partitioned by event time (one partition per
-- UTC day, created by the sink as days appear, dropped by its retention job), BRIN indexes on time,
-- and rollup tables the sink maintains in the same statement as the insert (only rows actually
-- inserted are counted, so a retried batch does not count twice).

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
) PARTITION BY RANGE (event_time);
CREATE INDEX detection_events_time_brin ON detection_events USING brin (event_time);
CREATE INDEX detection_events_violation ON detection_events (violation_id);

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
) PARTITION BY RANGE (event_time);
CREATE INDEX camera_health_time_brin ON camera_health USING brin (event_time);

-- Latest known status per camera (what a dashboard's "cameras offline now" panel reads).
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
) PARTITION BY RANGE (event_time);
CREATE INDEX alerts_time_brin ON alerts USING brin (event_time);

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

-- Rollups (TimescaleDB: continuous aggregates of the same names).
CREATE TABLE violations_hourly (
  bucket    timestamptz NOT NULL,
  camera_id text        NOT NULL,
  zone_id   text        NOT NULL,
  type      text        NOT NULL,
  starts    bigint      NOT NULL,
  events    bigint      NOT NULL,
  PRIMARY KEY (bucket, camera_id, zone_id, type)
);
CREATE TABLE alerts_hourly (
  bucket   timestamptz NOT NULL,
  rule_id  text        NOT NULL,
  type     text        NOT NULL,
  severity text        NOT NULL,
  alerts   bigint      NOT NULL,
  PRIMARY KEY (bucket, rule_id, type, severity)
);

-- One partition per UTC day: `<parent>_pYYYYMMDD`. Safe to call concurrently.
CREATE FUNCTION sw_ensure_day_partition(parent text, day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  child text := parent || '_p' || to_char(day, 'YYYYMMDD');
  lo timestamptz := (day::timestamp AT TIME ZONE 'UTC');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sw_partition:' || child));
  IF to_regclass(child) IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', child, parent, lo, lo + interval '1 day');
  END IF;
END $$;

-- Retention: drop the day partitions of `parent` that end at or before `cutoff`. Returns how many.
CREATE FUNCTION sw_drop_partitions_before(parent text, cutoff timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN
    SELECT c.relname
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = parent AND c.relname ~ ('^' || parent || '_p[0-9]{8}$')
  LOOP
    IF (to_date(right(r.relname, 8), 'YYYYMMDD')::timestamp AT TIME ZONE 'UTC') + interval '1 day' <= cutoff THEN
      EXECUTE format('DROP TABLE %I', r.relname);
      n := n + 1;
    END IF;
  END LOOP;
  RETURN n;
END $$;
