-- Flow counts (community profiles: people and vehicles by hour), plain PostgreSQL.
-- flow_counts_minute: the gateways' minutes as they arrived, one row per message, class and
-- direction (day partitions created by the sink, dropped by its retention job at
-- sink.retention.flowMinutes). flow_counts_hourly: the hourly rollup the screen and reports read,
-- upserted (key: hour, camera, line, class, direction) in the same statement as the minute insert,
-- from the rows actually inserted: a redelivered message adds nothing. Kept without retention
-- (a few hundred rows per camera and day: the long-term profile).

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
) PARTITION BY RANGE (minute);
CREATE INDEX flow_counts_minute_time_brin ON flow_counts_minute USING brin (minute);

CREATE TABLE flow_counts_hourly (
  bucket       timestamptz NOT NULL,
  camera_id    text        NOT NULL,
  line_id      text        NOT NULL,
  object_class text        NOT NULL,
  direction    text        NOT NULL,
  grid_id      text,
  community_id text,
  count        bigint      NOT NULL,
  -- seconds of the hour the minutes covered (3600: watched all hour; less: camera offline part of it)
  observed_s   double precision NOT NULL,
  PRIMARY KEY (bucket, camera_id, line_id, object_class, direction)
);
CREATE INDEX flow_counts_hourly_grid ON flow_counts_hourly (grid_id, bucket);
