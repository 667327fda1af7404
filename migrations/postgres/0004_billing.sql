-- Checkouts (purchase sessions), subscriptions (recurring seat pools) and orders (payments; a paid
-- one-time order is a perpetual seat pool).

CREATE TABLE checkouts (
    id                    UUID PRIMARY KEY NOT NULL,
    organization_id       UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at            TIMESTAMPTZ NOT NULL,
    modified_at           TIMESTAMPTZ,
    client_secret         TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'succeeded', 'failed', 'expired')),
    expires_at            TIMESTAMPTZ NOT NULL,
    product_id            UUID NOT NULL REFERENCES products (id),
    price_id              UUID NOT NULL REFERENCES product_prices (id),
    seats                 BIGINT NOT NULL CHECK (seats >= 1),
    min_seats             BIGINT NOT NULL CHECK (min_seats >= 1),
    max_seats             BIGINT NOT NULL CHECK (max_seats >= min_seats),
    amount                BIGINT NOT NULL CHECK (amount >= 0),
    currency              TEXT NOT NULL,
    customer_id           UUID REFERENCES customers (id),
    customer_email        TEXT,
    customer_name         TEXT,
    external_customer_id  TEXT,
    success_url           TEXT,
    metadata              TEXT NOT NULL DEFAULT '{}',
    subscription_id       UUID,
    order_id              UUID
);
CREATE UNIQUE INDEX checkouts_client_secret_key ON checkouts (client_secret);
CREATE INDEX checkouts_organization_idx ON checkouts (organization_id, created_at);

CREATE TABLE subscriptions (
    id                    UUID PRIMARY KEY NOT NULL,
    organization_id       UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at            TIMESTAMPTZ NOT NULL,
    modified_at           TIMESTAMPTZ,
    customer_id           UUID NOT NULL REFERENCES customers (id),
    product_id            UUID NOT NULL REFERENCES products (id),
    price_id              UUID NOT NULL REFERENCES product_prices (id),
    checkout_id           UUID REFERENCES checkouts (id),
    status                TEXT NOT NULL,
    seats                 BIGINT NOT NULL CHECK (seats >= 1 AND seats <= 1000),
    amount                BIGINT NOT NULL CHECK (amount >= 0),
    currency              TEXT NOT NULL,
    recurring_interval    TEXT NOT NULL CHECK (recurring_interval IN ('month', 'year')),
    current_period_start  TIMESTAMPTZ NOT NULL,
    current_period_end    TIMESTAMPTZ NOT NULL,
    cancel_at_period_end  BOOLEAN NOT NULL DEFAULT FALSE,
    canceled_at           TIMESTAMPTZ,
    started_at            TIMESTAMPTZ NOT NULL,
    ended_at              TIMESTAMPTZ,
    metadata              TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX subscriptions_organization_idx ON subscriptions (organization_id, created_at);
CREATE INDEX subscriptions_customer_idx ON subscriptions (customer_id);
-- One checkout buys at most one subscription.
CREATE UNIQUE INDEX subscriptions_checkout_key ON subscriptions (checkout_id) WHERE checkout_id IS NOT NULL;

CREATE TABLE orders (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    customer_id      UUID NOT NULL REFERENCES customers (id),
    product_id       UUID NOT NULL REFERENCES products (id),
    subscription_id  UUID REFERENCES subscriptions (id),
    checkout_id      UUID REFERENCES checkouts (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'refunded')),
    billing_reason   TEXT NOT NULL
                     CHECK (billing_reason IN ('purchase', 'subscription_create', 'subscription_cycle', 'subscription_update')),
    seats            BIGINT NOT NULL CHECK (seats >= 0 AND seats <= 1000),
    subtotal_amount  BIGINT NOT NULL,
    total_amount     BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    items            TEXT NOT NULL DEFAULT '[]',
    metadata         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX orders_organization_idx ON orders (organization_id, created_at);
CREATE INDEX orders_customer_idx ON orders (customer_id);
-- One checkout pays at most one order.
CREATE UNIQUE INDEX orders_checkout_key ON orders (checkout_id) WHERE checkout_id IS NOT NULL;
