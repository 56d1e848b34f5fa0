-- No index on router_delivery_attempts.idempotency_key. No code reads attempts by key (the outbox
-- reads by id, retention by time), and with random keys every attempt row (four per alert) and every
-- rewrite of one landed on a random page of it: ~10% of PostgreSQL's CPU per alert at a burst
-- (measured A/B, bench/router). To look at one delivery's attempts by hand, filter on the key (a scan
-- of the table, bounded by retention) or read its events on streetwatch.deliveries.v1.
DROP INDEX router_delivery_attempts_key;
