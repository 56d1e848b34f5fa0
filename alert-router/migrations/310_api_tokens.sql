-- API tokens issued by `alert-router tokens issue`: only the sha256 of each token is kept, with its
-- user, an expiry (always) and a revocation time. A user may hold several at once: rotation is
-- issue a new one, hand it over, revoke the old one (or let it expire). `id` is public: the first
-- 12 hex digits of the sha256, shown by `tokens list` and used by `tokens revoke`.
CREATE TABLE api_tokens (
  id          text PRIMARY KEY,
  sha256      text NOT NULL UNIQUE,
  user_id     text NOT NULL,
  label       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
