-- Keyed state of the stream processor, one row per consumer group and task (partition number).
-- The snapshot and the next offset of every input partition of the task are written in ONE
-- statement, after the alerts they produced were acknowledged by Kafka; on assignment an
-- instance bumps `epoch` and loads the row, and a write carrying an older epoch is refused
-- (fencing a zombie that lost the task in a rebalance).
CREATE TABLE IF NOT EXISTS processor_task_state (
  group_id    text        NOT NULL,
  task        integer     NOT NULL,
  epoch       bigint      NOT NULL DEFAULT 1,
  offsets     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  state       text,
  state_bytes integer     NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, task)
);
