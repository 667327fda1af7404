-- The email outbox keeps no usable link longer than it must, and one email is sent by one worker.
-- - `seat_id` ties an invitation to its seat: claiming, revoking or re-sending the seat erases the
--   bodies of its emails (they carry a single-use link) and discards those not sent yet (`discarded`).
-- - `lease_id` names the worker holding an email: a worker leases one email at a time and records the
--   outcome only while its lease still holds, so a slow send never races another process's.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt (nothing refers to it).
CREATE TABLE email_outbox_new (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    kind             TEXT NOT NULL,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'discarded')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    locked_until     TEXT,
    last_error       TEXT,
    sent_at          TEXT,
    transport        TEXT,
    seat_id          BLOB,
    lease_id         BLOB
);
INSERT INTO email_outbox_new (id, organization_id, created_at, kind, to_address, subject, text_body,
    html_body, status, attempts, next_attempt_at, locked_until, last_error, sent_at, transport)
SELECT id, organization_id, created_at, kind, to_address, subject, text_body, html_body, status,
    attempts, next_attempt_at, locked_until, last_error, sent_at, transport FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_new RENAME TO email_outbox;
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_created_idx ON email_outbox (created_at);
CREATE INDEX email_outbox_seat_idx ON email_outbox (seat_id) WHERE seat_id IS NOT NULL;
