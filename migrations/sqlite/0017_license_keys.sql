-- License keys as resources of their own (the entitlements issue); see the PostgreSQL migration of
-- the same number for what and why. SQLite keeps its foreign keys to organizations (no row locks).

CREATE TABLE license_keys (
    id                 BLOB PRIMARY KEY NOT NULL,
    organization_id    BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at         TEXT NOT NULL,
    modified_at        TEXT,
    grant_id           BLOB NOT NULL UNIQUE REFERENCES benefit_grants (id),
    benefit_id         BLOB NOT NULL REFERENCES benefits (id),
    customer_id        BLOB NOT NULL REFERENCES customers (id),
    member_id          BLOB NOT NULL REFERENCES members (id),
    key                TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('granted', 'revoked', 'disabled')),
    limit_activations  INTEGER CHECK (limit_activations > 0),
    activations        INTEGER NOT NULL DEFAULT 0 CHECK (activations >= 0),
    usage              INTEGER NOT NULL DEFAULT 0 CHECK (usage >= 0),
    limit_usage        INTEGER CHECK (limit_usage > 0),
    validations        INTEGER NOT NULL DEFAULT 0,
    last_validated_at  TEXT,
    expires_at         TEXT
);
CREATE UNIQUE INDEX license_keys_key_key ON license_keys (organization_id, key);
CREATE INDEX license_keys_organization_idx ON license_keys (organization_id, created_at);
CREATE INDEX license_keys_member_idx ON license_keys (member_id);
CREATE INDEX license_keys_customer_idx ON license_keys (customer_id);

CREATE TABLE license_key_activations (
    id              BLOB PRIMARY KEY NOT NULL,
    license_key_id  BLOB NOT NULL REFERENCES license_keys (id),
    created_at      TEXT NOT NULL,
    modified_at     TEXT,
    label           TEXT NOT NULL,
    conditions      TEXT NOT NULL,
    meta            TEXT NOT NULL
);
CREATE INDEX license_key_activations_key_idx ON license_key_activations (license_key_id, created_at);

INSERT INTO license_keys (id, organization_id, created_at, modified_at, grant_id, benefit_id,
                          customer_id, member_id, key, status, limit_activations, limit_usage)
SELECT g.id, g.organization_id, g.created_at, g.revoked_at, g.id, g.benefit_id, g.customer_id,
       g.member_id, g.license_key,
       CASE WHEN g.revoked_at IS NULL THEN 'granted' ELSE 'revoked' END,
       NULLIF(json_extract(b.properties, '$.activations.limit'), 0),
       NULLIF(json_extract(b.properties, '$.limit_usage'), 0)
FROM benefit_grants g JOIN benefits b ON b.id = g.benefit_id
WHERE g.license_key IS NOT NULL;

-- The grant's id as the hyphenated text of its 16 bytes.
UPDATE benefit_grants
SET properties = json_object(
        'license_key_id',
        lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' || substr(hex(id), 13, 4)
              || '-' || substr(hex(id), 17, 4) || '-' || substr(hex(id), 21, 12)),
        'display_key', '****-' || substr(license_key, -6))
WHERE license_key IS NOT NULL;

-- Tokens that could read or manage benefits may read or manage the keys those benefits give.
UPDATE access_tokens SET scopes = scopes || ' license_keys:read license_keys:write'
WHERE ' ' || scopes || ' ' LIKE '% benefits:write %';
UPDATE access_tokens SET scopes = scopes || ' license_keys:read'
WHERE ' ' || scopes || ' ' LIKE '% benefits:read %' AND ' ' || scopes || ' ' NOT LIKE '% license_keys:read %';

DROP INDEX benefit_grants_license_key_key;
ALTER TABLE benefit_grants DROP COLUMN license_key;
