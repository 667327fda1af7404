-- The catalog (benefits, products, prices) and the webhook event outbox.
-- JSON values are stored as TEXT on both backends, so the same SQL runs on each.

CREATE TABLE benefits (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    type             TEXT NOT NULL CHECK (type IN ('custom', 'license_keys')),
    description      TEXT NOT NULL,
    properties       TEXT NOT NULL,
    metadata         TEXT NOT NULL DEFAULT '{}',
    deleted_at       TIMESTAMPTZ
);
CREATE INDEX benefits_organization_idx ON benefits (organization_id, created_at);

CREATE TABLE products (
    id                  UUID PRIMARY KEY NOT NULL,
    organization_id     UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at          TIMESTAMPTZ NOT NULL,
    modified_at         TIMESTAMPTZ,
    name                TEXT NOT NULL CHECK (length(name) > 0),
    description         TEXT,
    recurring_interval  TEXT CHECK (recurring_interval IN ('month', 'year')),
    is_archived         BOOLEAN NOT NULL DEFAULT FALSE,
    metadata            TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX products_organization_idx ON products (organization_id, created_at);

-- Prices are never deleted: a change archives the old ones (subscriptions keep pointing at them).
CREATE TABLE product_prices (
    id              UUID PRIMARY KEY NOT NULL,
    product_id      UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    created_at      TIMESTAMPTZ NOT NULL,
    modified_at     TIMESTAMPTZ,
    amount_type     TEXT NOT NULL CHECK (amount_type IN ('fixed', 'seat_based')),
    price_currency  TEXT NOT NULL,
    price_amount    BIGINT CHECK (price_amount >= 0),
    seat_tier_type  TEXT CHECK (seat_tier_type IN ('volume', 'graduated')),
    seat_tiers      TEXT,
    is_archived     BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((amount_type = 'fixed') = (price_amount IS NOT NULL)),
    CHECK ((amount_type = 'seat_based') = (seat_tiers IS NOT NULL AND seat_tier_type IS NOT NULL))
);
CREATE INDEX product_prices_product_idx ON product_prices (product_id, is_archived);
-- At most one live seat-based price per product.
CREATE UNIQUE INDEX product_prices_one_live_seat_price
    ON product_prices (product_id) WHERE amount_type = 'seat_based' AND is_archived = FALSE;

CREATE TABLE product_benefits (
    product_id  UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    benefit_id  UUID NOT NULL REFERENCES benefits (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    PRIMARY KEY (product_id, benefit_id)
);

-- The outbox: written in the same transaction as the change; delivery reads it.
CREATE TABLE webhook_events (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_events_organization_idx ON webhook_events (organization_id, created_at);
