-- Evidence pictures are seen only through short-lived signed links the router issues per request
-- (console user, or a channel: SMS short link, robot picurl). Every link and every view of one is
-- kept: who (the user, or the channel), which work order and picture, when, from where. Kept as
-- long as the work order (the retention job deletes them with it).
CREATE TABLE evidence_links (
  id              bigserial PRIMARY KEY,
  work_order_id   text NOT NULL,
  department_id   text NOT NULL,
  evidence_index  smallint NOT NULL,
  object_key      text NOT NULL,
  sha256          text NOT NULL,
  subject         text NOT NULL,      -- user id, or '<channel kind>:<channel name>'
  role            text,
  channel         text NOT NULL CHECK (channel IN ('console', 'api', 'sms', 'robot')),
  issued_at       timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL
);
CREATE INDEX evidence_links_work_order ON evidence_links (work_order_id);

CREATE TABLE evidence_views (
  id              bigserial PRIMARY KEY,
  link_id         bigint NOT NULL REFERENCES evidence_links (id) ON DELETE CASCADE,
  work_order_id   text NOT NULL,
  subject         text NOT NULL,
  channel         text NOT NULL,
  viewed_at       timestamptz NOT NULL,
  ip              text,
  user_agent      text,
  bytes           integer NOT NULL
);
CREATE INDEX evidence_views_work_order ON evidence_views (work_order_id, viewed_at);
CREATE INDEX evidence_views_link ON evidence_views (link_id);
