-- The email outbox keeps no usable link longer than it must, and one email is sent by one worker.
-- - `seat_id` ties an invitation to its seat: claiming, revoking or re-sending the seat erases the
--   bodies of its emails (they carry a single-use link) and discards those not sent yet (`discarded`).
-- - `lease_id` names the worker holding an email: a worker leases one email at a time and records the
--   outcome only while its lease still holds, so a slow send never races another process's.
ALTER TABLE email_outbox ADD COLUMN seat_id UUID;
ALTER TABLE email_outbox ADD COLUMN lease_id UUID;
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_status_check;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'discarded'));
CREATE INDEX email_outbox_seat_idx ON email_outbox (seat_id) WHERE seat_id IS NOT NULL;
