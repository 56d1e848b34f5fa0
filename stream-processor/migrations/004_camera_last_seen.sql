-- Last heard from each camera (both storage modes: camera_status is a plain table in both).
-- Gateways re-state every camera's health once a minute (CameraHealth heartbeat: true) besides
-- each change; `since` keeps meaning "in this state since" (moved only by a change of status or
-- reason), `last_seen` is the newest health event time of any kind, so a camera whose gateway went
-- silent (power, uplink) shows as not heard from instead of "online" forever. `heartbeats`: a
-- heartbeat has been seen from this camera, so its silence means something (a gateway from before
-- heartbeats sends changes only: its cameras are not called silent). Rows written before this
-- migration were last heard at their last change.
ALTER TABLE camera_status ADD COLUMN last_seen timestamptz;
UPDATE camera_status SET last_seen = since;
ALTER TABLE camera_status ALTER COLUMN last_seen SET NOT NULL;
ALTER TABLE camera_status ADD COLUMN heartbeats boolean NOT NULL DEFAULT false;
