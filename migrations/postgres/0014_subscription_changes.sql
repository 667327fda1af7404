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

-- Renewals. A subscription's renewals charge the payment method saved when its checkout was confirmed
-- (the provider's reusable reference, never card data; kept on the checkout's payment too, so a
-- purchase completed by the sweeper after a crash keeps it). A renewal whose charge fails leaves the
-- subscription `past_due` from `past_due_at`, charged again at `retry_at`, until the organization's
-- grace period ends it.
ALTER TABLE checkout_payments ADD COLUMN payment_method TEXT;
ALTER TABLE subscriptions ADD COLUMN payment_method TEXT;
-- Subscriptions bought before payment methods were saved were all paid through the built-in test
-- provider (the only one) with a card that pays: they renew with its saved equivalent.
UPDATE subscriptions SET payment_method = 'pm_card_visa' WHERE amount > 0;
-- Every change of a subscription's terms moves its version: the scheduler's writes (renewal, past
-- due, end) apply only to the version they were planned from, and a renewal's charge is keyed by it.
ALTER TABLE subscriptions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN past_due_at TIMESTAMPTZ;
ALTER TABLE subscriptions ADD COLUMN retry_at TIMESTAMPTZ;
-- What the renewal scheduler looks for: live subscriptions by the time their period ends.
CREATE INDEX subscriptions_due_idx ON subscriptions (current_period_end) WHERE ended_at IS NULL;
-- A reminder to the billing manager before a renewal that will cost something else than the last
-- period: due at `remind_at` (set with each period: its end less the organization's
-- `renewal_reminder_days`), cleared once looked at.
ALTER TABLE subscriptions ADD COLUMN remind_at TIMESTAMPTZ;
CREATE INDEX subscriptions_remind_idx ON subscriptions (remind_at) WHERE remind_at IS NOT NULL;
ALTER TABLE organizations ADD COLUMN renewal_reminder_days BIGINT NOT NULL DEFAULT 7
    CHECK (renewal_reminder_days >= 0 AND renewal_reminder_days <= 60);
-- How long a past-due subscription keeps its seats before it is canceled.
ALTER TABLE organizations ADD COLUMN past_due_grace_days BIGINT NOT NULL DEFAULT 7
    CHECK (past_due_grace_days >= 0 AND past_due_grace_days <= 60);

-- Refunds (Polar's `/v1/refunds`), full or partial, through the payment provider. An order keeps how
-- much of it was refunded (reserved when a refund starts, so refunds racing each other never give
-- back more than was paid) and the provider's reference of the charge that paid it (backfilled from
-- the checkout's payment for orders written before this migration).
ALTER TABLE orders ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0);
ALTER TABLE orders ADD COLUMN payment_reference TEXT;
UPDATE orders SET payment_reference = (SELECT p.reference FROM checkout_payments p
    WHERE p.checkout_id = orders.checkout_id AND p.status = 'succeeded' LIMIT 1)
    WHERE checkout_id IS NOT NULL;

CREATE TABLE refunds (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    order_id         UUID NOT NULL REFERENCES orders (id),
    subscription_id  UUID REFERENCES subscriptions (id),
    customer_id      UUID NOT NULL REFERENCES customers (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
    reason           TEXT NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount >= 1),
    currency         TEXT NOT NULL,
    comment          TEXT,
    revoke_benefits  BOOLEAN NOT NULL,
    metadata         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX refunds_organization_idx ON refunds (organization_id, created_at);
CREATE INDEX refunds_order_idx ON refunds (order_id);
CREATE INDEX refunds_pending_idx ON refunds (created_at) WHERE status = 'pending';

-- The test provider's ledger of refunds of part of a charge, one per idempotency key.
CREATE TABLE test_payment_refunds (
    idempotency_key   TEXT PRIMARY KEY NOT NULL,
    charge_reference  TEXT NOT NULL REFERENCES test_payment_charges (reference),
    amount            BIGINT NOT NULL CHECK (amount >= 1),
    created_at        TIMESTAMPTZ NOT NULL
);

-- The test provider's cards that decline their first charge made without the customer
-- (`tok_visa_renewal_declined_once`): one row once that first charge was declined.
CREATE TABLE test_payment_declines (
    payment_method  TEXT PRIMARY KEY NOT NULL
);
