-- Indexes that held an entry for rows their queries never read, rewritten to hold only those:
-- - a seat, and an audit entry, belong to a subscription or to an order: each pool kind's index
--   held an entry (a NULL) for every row of the other kind;
-- - the outbox's due index held every email ever sent; the mailer only looks for pending ones.
-- An assignment writes three index entries fewer, and the due index stays as small as the backlog.

DROP INDEX customer_seats_subscription_idx;
CREATE INDEX customer_seats_subscription_idx ON customer_seats (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;
DROP INDEX customer_seats_order_idx;
CREATE INDEX customer_seats_order_idx ON customer_seats (order_id, created_at)
    WHERE order_id IS NOT NULL;

DROP INDEX seat_audit_log_subscription_idx;
CREATE INDEX seat_audit_log_subscription_idx ON seat_audit_log (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;
DROP INDEX seat_audit_log_order_idx;
CREATE INDEX seat_audit_log_order_idx ON seat_audit_log (order_id, created_at)
    WHERE order_id IS NOT NULL;

DROP INDEX email_outbox_due_idx;
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'pending';
