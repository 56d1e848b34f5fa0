-- The engine claims due rows per channel (ORDER BY next_attempt_at LIMIT n per channel): with the
-- due index on next_attempt_at alone, every claim walked (and fetched from the heap) the other
-- channels' due rows too. Keyed by channel first, a claim reads only its own channel's entries.
CREATE INDEX router_deliveries_due_channel ON router_deliveries (channel_name, next_attempt_at) WHERE state IN ('pending', 'retrying');
DROP INDEX router_deliveries_due;
