-- Idempotency keys of work-order actions (`Idempotency-Key` header): the phone console resends an
-- action taken offline, or one whose answer it never got, with the same key; the first request
-- that commits records its key here in the same transaction as the transition, and every replay
-- answers with the work order as it is now instead of applying the action again.
-- Rows go with their work order (ON DELETE CASCADE: retention deletes work orders).
CREATE TABLE work_order_requests (
  idempotency_key text PRIMARY KEY,
  work_order_id   text NOT NULL REFERENCES work_orders (id) ON DELETE CASCADE,
  action          text NOT NULL,
  user_id         text NOT NULL,
  history_seq     integer,
  at              timestamptz NOT NULL
);
CREATE INDEX work_order_requests_work_order ON work_order_requests (work_order_id);
