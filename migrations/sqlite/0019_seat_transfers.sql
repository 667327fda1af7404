-- Reassigning a seat; see the PostgreSQL migration of the same number. SQLite cannot change a
-- CHECK constraint in place, so the audit log is rebuilt with the new action and columns (nothing
-- references it).

CREATE TABLE seat_audit_log_new (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    seat_id          BLOB NOT NULL REFERENCES customer_seats (id),
    subscription_id  BLOB,
    order_id         BLOB,
    action           TEXT NOT NULL
        CHECK (action IN ('assigned', 'claimed', 'resent', 'revoked', 'transferred')),
    actor_type       TEXT NOT NULL CHECK (actor_type IN ('organization', 'customer', 'member', 'system')),
    actor_id         BLOB,
    email            TEXT NOT NULL,
    to_seat_id       BLOB REFERENCES customer_seats (id),
    to_email         TEXT,
    CHECK ((action = 'transferred') = (to_seat_id IS NOT NULL AND to_email IS NOT NULL))
);
INSERT INTO seat_audit_log_new
    (id, organization_id, created_at, seat_id, subscription_id, order_id, action, actor_type, actor_id, email)
    SELECT id, organization_id, created_at, seat_id, subscription_id, order_id, action, actor_type, actor_id, email
    FROM seat_audit_log;
DROP TABLE seat_audit_log;
ALTER TABLE seat_audit_log_new RENAME TO seat_audit_log;

CREATE INDEX seat_audit_log_subscription_idx ON seat_audit_log (subscription_id, created_at)
    WHERE subscription_id IS NOT NULL;
CREATE INDEX seat_audit_log_order_idx ON seat_audit_log (order_id, created_at)
    WHERE order_id IS NOT NULL;
CREATE INDEX seat_audit_log_seat_idx ON seat_audit_log (seat_id, created_at);
