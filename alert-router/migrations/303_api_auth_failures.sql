-- Failed API authentications, shared by every router instance: the failed-login throttle counts an
-- address's failures of the last minute here (it was in each instance's memory: with N replicas an
-- address had N times the guesses). Only the last minute matters; older rows are pruned on insert.
CREATE TABLE api_auth_failures (
  ip text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_auth_failures_ip_at ON api_auth_failures (ip, at);
CREATE INDEX api_auth_failures_at ON api_auth_failures (at);
