-- Changing a subscription after its purchase: seat counts, cancellation, revocation.
--
-- A seat count scheduled for the renewal (`next_period`, Polar's `pending_update`): its id and when it
-- was asked for. Until the renewal applies it, no assignment may take the pool past it (the capacity
-- update checks `pending_seats` as it checks `seats`), and a decrease is refused while more seats are
-- given out than it allows.
ALTER TABLE subscriptions ADD COLUMN pending_seats BIGINT
    CHECK (pending_seats IS NULL OR (pending_seats >= 1 AND pending_seats <= 1000));
ALTER TABLE subscriptions ADD COLUMN pending_update_id UUID;
ALTER TABLE subscriptions ADD COLUMN pending_update_created_at TIMESTAMPTZ;
-- Why the customer cancels, as Polar keeps it (one of its reasons, and a comment).
ALTER TABLE subscriptions ADD COLUMN customer_cancellation_reason TEXT;
ALTER TABLE subscriptions ADD COLUMN customer_cancellation_comment TEXT;

-- Prorations waiting to be billed: a seat change made during a period owes (positive) or credits
-- (negative) the prorated difference, added to the next renewal order. `order_id` is the order that
-- billed it, NULL until then.
CREATE TABLE billing_entries (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subscription_id  UUID NOT NULL REFERENCES subscriptions (id),
    created_at       TIMESTAMPTZ NOT NULL,
    amount           BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    seats_from       BIGINT NOT NULL,
    seats_to         BIGINT NOT NULL,
    period_start     TIMESTAMPTZ NOT NULL,
    period_end       TIMESTAMPTZ NOT NULL,
    order_id         UUID REFERENCES orders (id)
);
CREATE INDEX billing_entries_unbilled_idx ON billing_entries (subscription_id, created_at)
    WHERE order_id IS NULL;
