-- Flow counts (community profiles: people and vehicles by hour), TimescaleDB: the same two tables
-- as in plain mode (see 003_flow_counts.plain.sql), as hypertables. flow_counts_minute: 1-day
-- chunks, dropped by the retention policy the sink sets from sink.retention.flowMinutes.
-- flow_counts_hourly: upserted by the sink in the same statement as the minute insert, from the
-- rows actually inserted (a continuous aggregate could not be upserted per key nor read
-- up to date by the screen); 30-day chunks, no retention.

CREATE TABLE flow_counts_minute (
  event_id     text        NOT NULL,
  minute       timestamptz NOT NULL,
  object_class text        NOT NULL,
  direction    text        NOT NULL,
  gateway_id   text        NOT NULL,
  camera_id    text        NOT NULL,
  line_id      text        NOT NULL,
  grid_id      text,
  community_id text,
  count        integer     NOT NULL,
  observed_s   real        NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, object_class, direction, minute)
);
SELECT create_hypertable('flow_counts_minute', 'minute', chunk_time_interval => interval '1 day');

CREATE TABLE flow_counts_hourly (
  bucket       timestamptz NOT NULL,
  camera_id    text        NOT NULL,
  line_id      text        NOT NULL,
  object_class text        NOT NULL,
  direction    text        NOT NULL,
  grid_id      text,
  community_id text,
  count        bigint      NOT NULL,
  observed_s   double precision NOT NULL,
  PRIMARY KEY (bucket, camera_id, line_id, object_class, direction)
);
SELECT create_hypertable('flow_counts_hourly', 'bucket', chunk_time_interval => interval '30 days');
CREATE INDEX flow_counts_hourly_grid ON flow_counts_hourly (grid_id, bucket);
