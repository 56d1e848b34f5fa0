-- The API rate limit's counters, shared by every router instance (they were each instance's memory:
-- with N replicas a user had N times the budget). One row per key (a bearer token's digest, or an
-- address for requests without one) holding the current fixed window; rows idle for a day are pruned.
CREATE TABLE api_rate_limits (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  n integer NOT NULL
);
CREATE INDEX api_rate_limits_window ON api_rate_limits (window_start);
