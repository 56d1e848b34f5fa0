-- Retention: "no membership still pending" is checked for every alert the job looks at; a partial
-- index of the (few) pending memberships keeps that an index probe instead of a scan of all
-- memberships per batch (found with EXPLAIN on 100k rows after 300 was merged; 300 stays as applied).
CREATE INDEX router_group_members_pending ON router_group_members (alert_id) WHERE state = 'pending';
