-- The live camera view: every ticket the router issues (which camera, for whom, until when; one
-- opening each) and every opening of a live stream or refused attempt with a well-formed ticket
-- (who, which camera, when, from where, for how long, bytes relayed), like evidence_links and
-- evidence_views for pictures.
CREATE TABLE live_tickets (
  id              bigserial PRIMARY KEY,
  camera_id       text NOT NULL,
  user_id         text NOT NULL,
  department_id   text NOT NULL,
  role            text NOT NULL,
  issued_at       timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz
);
CREATE INDEX live_tickets_issued ON live_tickets (issued_at);

CREATE TABLE live_views (
  id              bigserial PRIMARY KEY,
  ticket_id       bigint REFERENCES live_tickets (id) ON DELETE CASCADE,
  camera_id       text NOT NULL,        -- the camera asked for (the path), whatever the ticket says
  user_id         text,                 -- the ticket's user, when the ticket is genuine
  result          text NOT NULL,        -- ok, or the refusal's error code
  opened_at       timestamptz NOT NULL,
  closed_at       timestamptz,
  ip              text,
  user_agent      text,
  bytes           bigint NOT NULL DEFAULT 0
);
CREATE INDEX live_views_opened ON live_views (opened_at);
CREATE INDEX live_views_camera ON live_views (camera_id, opened_at);
