-- Customer state (the entitlements issue); see the PostgreSQL migration of the same number for what
-- and why.

CREATE INDEX benefit_grants_live_customer_idx ON benefit_grants (customer_id)
    WHERE revoked_at IS NULL;

CREATE TABLE customer_state_changes (
    organization_id  BLOB NOT NULL,
    customer_id      BLOB NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    changed_at       TEXT NOT NULL,
    PRIMARY KEY (organization_id, customer_id)
);

CREATE TABLE license_signing_keys (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    private_key      BLOB NOT NULL,
    public_key       BLOB NOT NULL,
    retired_at       TEXT
);
CREATE UNIQUE INDEX license_signing_keys_live_key ON license_signing_keys (organization_id)
    WHERE retired_at IS NULL;
CREATE INDEX license_signing_keys_organization_idx ON license_signing_keys (organization_id, created_at);
