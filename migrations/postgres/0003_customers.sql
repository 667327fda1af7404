-- Customers (buyers), their members (people who may hold seats) and customer sessions.
-- Deleted rows are kept (deleted_at) so history stays whole; uniqueness applies to live rows only.
-- Emails are stored lower-cased (validated at the edge), so equality is case-insensitive.

CREATE TABLE customers (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    type             TEXT NOT NULL CHECK (type IN ('individual', 'team')),
    email            TEXT,
    name             TEXT,
    external_id      TEXT,
    metadata         TEXT NOT NULL DEFAULT '{}',
    deleted_at       TIMESTAMPTZ
);
CREATE INDEX customers_organization_idx ON customers (organization_id, created_at);
CREATE UNIQUE INDEX customers_email_key ON customers (organization_id, email)
    WHERE deleted_at IS NULL AND email IS NOT NULL;
CREATE UNIQUE INDEX customers_external_id_key ON customers (organization_id, external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;

CREATE TABLE members (
    id               UUID PRIMARY KEY NOT NULL,
    customer_id      UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    modified_at      TIMESTAMPTZ,
    email            TEXT NOT NULL,
    name             TEXT,
    external_id      TEXT,
    role             TEXT NOT NULL CHECK (role IN ('owner', 'billing_manager', 'member')),
    deleted_at       TIMESTAMPTZ
);
CREATE INDEX members_customer_idx ON members (customer_id, created_at);
CREATE UNIQUE INDEX members_email_key ON members (customer_id, email) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX members_external_id_key ON members (customer_id, external_id)
    WHERE deleted_at IS NULL AND external_id IS NOT NULL;
-- Exactly one owner per customer (at most one live; the service creates it with the customer).
CREATE UNIQUE INDEX members_one_owner_key ON members (customer_id) WHERE role = 'owner' AND deleted_at IS NULL;

-- Only the SHA-256 of a session token is stored.
CREATE TABLE customer_sessions (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id      UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    member_id        UUID NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    token_hash       BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    return_url       TEXT
);
CREATE UNIQUE INDEX customer_sessions_token_hash_key ON customer_sessions (token_hash);
