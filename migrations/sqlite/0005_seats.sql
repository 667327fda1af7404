-- Customer seats. Capacity is a counter on the pool, moved in the same transaction as the seat
-- (`UPDATE ... SET used_seats = used_seats + 1 WHERE used_seats < seats`): one statement, the same on
-- both databases, safe across processes. Unique partial indexes forbid two active seats for one
-- email or one member in a pool. Revoked rows are history: never reused.

ALTER TABLE subscriptions ADD COLUMN used_seats BIGINT NOT NULL DEFAULT 0 CHECK (used_seats >= 0);
ALTER TABLE orders ADD COLUMN used_seats BIGINT NOT NULL DEFAULT 0 CHECK (used_seats >= 0);

CREATE TABLE customer_seats (
    id                           BLOB PRIMARY KEY NOT NULL,
    organization_id              BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at                   TEXT NOT NULL,
    modified_at                  TEXT,
    subscription_id              BLOB REFERENCES subscriptions (id),
    order_id                     BLOB REFERENCES orders (id),
    status                       TEXT NOT NULL CHECK (status IN ('pending', 'claimed', 'revoked')),
    customer_id                  BLOB NOT NULL REFERENCES customers (id),
    member_id                    BLOB NOT NULL REFERENCES members (id),
    email                        TEXT NOT NULL,
    invitation_token_hash        BLOB,
    invitation_token_expires_at  TEXT,
    claimed_at                   TEXT,
    revoked_at                   TEXT,
    seat_metadata                TEXT NOT NULL DEFAULT '{}',
    CHECK ((subscription_id IS NULL) <> (order_id IS NULL))
);
CREATE INDEX customer_seats_subscription_idx ON customer_seats (subscription_id, created_at);
CREATE INDEX customer_seats_order_idx ON customer_seats (order_id, created_at);
CREATE UNIQUE INDEX customer_seats_invitation_token_key ON customer_seats (invitation_token_hash)
    WHERE invitation_token_hash IS NOT NULL;
CREATE UNIQUE INDEX customer_seats_subscription_email_key ON customer_seats (subscription_id, email)
    WHERE subscription_id IS NOT NULL AND status IN ('pending', 'claimed');
CREATE UNIQUE INDEX customer_seats_order_email_key ON customer_seats (order_id, email)
    WHERE order_id IS NOT NULL AND status IN ('pending', 'claimed');
CREATE UNIQUE INDEX customer_seats_subscription_member_key ON customer_seats (subscription_id, member_id)
    WHERE subscription_id IS NOT NULL AND status IN ('pending', 'claimed');
CREATE UNIQUE INDEX customer_seats_order_member_key ON customer_seats (order_id, member_id)
    WHERE order_id IS NOT NULL AND status IN ('pending', 'claimed');
