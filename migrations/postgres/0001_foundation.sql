-- Organizations (merchants) and their access tokens.
-- Ids are UUIDs (BLOB on SQLite, UUID on PostgreSQL); timestamps are UTC.

CREATE TABLE organizations (
    id                      UUID PRIMARY KEY NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL,
    modified_at             TIMESTAMPTZ,
    name                    TEXT NOT NULL CHECK (length(name) > 0),
    slug                    TEXT NOT NULL,
    email                   TEXT,
    invitation_ttl_seconds  BIGINT NOT NULL DEFAULT 86400 CHECK (invitation_ttl_seconds > 0),
    proration_behavior      TEXT NOT NULL DEFAULT 'prorate'
                            CHECK (proration_behavior IN ('invoice', 'prorate', 'next_period'))
);

CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

-- Only the SHA-256 of a token is stored; the secret is shown once, at creation.
CREATE TABLE access_tokens (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    token_hash       BYTEA NOT NULL,
    scopes           TEXT NOT NULL,
    comment          TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ,
    revoked_at       TIMESTAMPTZ
);

CREATE UNIQUE INDEX access_tokens_token_hash_key ON access_tokens (token_hash);
CREATE INDEX access_tokens_organization_id_idx ON access_tokens (organization_id);
