-- Checkout payments. Confirming a checkout moves it from `open` to `confirmed` and records its payment
-- (`pending`) in one transaction, *before* the payment provider is asked to charge; the payment's id
-- is the provider's idempotency key. The purchase's transaction settles it (`succeeded`); a decline
-- settles it `declined` and reopens the checkout; a purchase that fails after the charge moves it to
-- `refunding`, then `refunded` once the provider gave the money back. A payment left `pending` or
-- `refunding` by a crash is reconciled by a sweeper that asks the provider what happened.

CREATE TABLE checkout_payments (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    checkout_id      UUID NOT NULL REFERENCES checkouts (id),
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    amount           BIGINT NOT NULL CHECK (amount >= 0),
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('pending', 'succeeded', 'declined', 'refunding', 'refunded', 'abandoned')),
    reference        TEXT,
    failure          TEXT
);
CREATE INDEX checkout_payments_checkout_idx ON checkout_payments (checkout_id, created_at);
-- At most one payment of a checkout in flight.
CREATE UNIQUE INDEX checkout_payments_one_in_flight ON checkout_payments (checkout_id)
    WHERE status IN ('pending', 'refunding');
CREATE INDEX checkout_payments_unsettled_idx ON checkout_payments (created_at)
    WHERE status IN ('pending', 'refunding');

-- The ledger of the built-in test payment provider. A real provider keeps its own; this one lives in
-- the same database but is written outside the purchase's transactions, as a provider would be, so
-- a crash between a charge and its purchase leaves exactly what it would leave with a real network.
CREATE TABLE test_payment_charges (
    reference        TEXT PRIMARY KEY NOT NULL,
    idempotency_key  TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    amount           BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    description      TEXT NOT NULL,
    refunded_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX test_payment_charges_idempotency_key ON test_payment_charges (idempotency_key);
