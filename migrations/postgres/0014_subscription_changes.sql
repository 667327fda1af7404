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
ALTER TABLE subscriptions ADD COLUMN past_due_at TIMESTAMPTZ;
ALTER TABLE subscriptions ADD COLUMN retry_at TIMESTAMPTZ;
-- What the renewal scheduler looks for: live subscriptions by the time their period ends.
CREATE INDEX subscriptions_due_idx ON subscriptions (current_period_end) WHERE ended_at IS NULL;
-- How long a past-due subscription keeps its seats before it is canceled.
ALTER TABLE organizations ADD COLUMN past_due_grace_days BIGINT NOT NULL DEFAULT 7
    CHECK (past_due_grace_days >= 0 AND past_due_grace_days <= 60);
