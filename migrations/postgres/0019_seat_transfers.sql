-- Reassigning a seat (`POST /v1/customer-seats/{id}/transfer`): the old seat is revoked and a new
-- one assigned in its place in one transaction, and the audit log records it as one entry,
-- `transferred`, on the old seat, naming the seat and the email it went to.

ALTER TABLE seat_audit_log DROP CONSTRAINT seat_audit_log_action_check;
ALTER TABLE seat_audit_log ADD CONSTRAINT seat_audit_log_action_check
    CHECK (action IN ('assigned', 'claimed', 'resent', 'revoked', 'transferred'));
ALTER TABLE seat_audit_log ADD COLUMN to_seat_id UUID REFERENCES customer_seats (id);
ALTER TABLE seat_audit_log ADD COLUMN to_email TEXT;
ALTER TABLE seat_audit_log ADD CONSTRAINT seat_audit_log_transfer_check
    CHECK ((action = 'transferred') = (to_seat_id IS NOT NULL AND to_email IS NOT NULL));
