-- Claiming seats and what follows from it: benefit grants (one per benefit of the product, given to
-- the member holding a claimed seat), the seat audit log (who changed which seat, when), and the
-- email outbox (written in the same transaction as the seat; a worker sends it, retrying with
-- backoff, so a committed invitation is never lost and a rolled-back one is never sent).

CREATE TABLE benefit_grants (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    modified_at      TEXT,
    benefit_id       BLOB NOT NULL REFERENCES benefits (id),
    customer_id      BLOB NOT NULL REFERENCES customers (id),
    member_id        BLOB NOT NULL REFERENCES members (id),
    seat_id          BLOB NOT NULL REFERENCES customer_seats (id),
    subscription_id  BLOB,
    order_id         BLOB,
    granted_at       TEXT NOT NULL,
    revoked_at       TEXT,
    license_key      TEXT,
    properties       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX benefit_grants_seat_idx ON benefit_grants (seat_id);
CREATE INDEX benefit_grants_organization_idx ON benefit_grants (organization_id, created_at);
CREATE INDEX benefit_grants_member_idx ON benefit_grants (member_id);
CREATE UNIQUE INDEX benefit_grants_license_key_key ON benefit_grants (license_key) WHERE license_key IS NOT NULL;

CREATE TABLE seat_audit_log (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    seat_id          BLOB NOT NULL REFERENCES customer_seats (id),
    subscription_id  BLOB,
    order_id         BLOB,
    action           TEXT NOT NULL CHECK (action IN ('assigned', 'claimed', 'resent', 'revoked')),
    actor_type       TEXT NOT NULL CHECK (actor_type IN ('organization', 'customer', 'member', 'system')),
    actor_id         BLOB,
    email            TEXT NOT NULL
);
CREATE INDEX seat_audit_log_subscription_idx ON seat_audit_log (subscription_id, created_at);
CREATE INDEX seat_audit_log_order_idx ON seat_audit_log (order_id, created_at);
CREATE INDEX seat_audit_log_seat_idx ON seat_audit_log (seat_id, created_at);

CREATE TABLE email_outbox (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    kind             TEXT NOT NULL,
    to_address       TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    locked_until     TEXT,
    last_error       TEXT,
    sent_at          TEXT,
    transport        TEXT
);
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_created_idx ON email_outbox (created_at);
