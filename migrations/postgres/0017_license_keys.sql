-- License keys as resources of their own (the entitlements issue): a key is what a license-key grant
-- gives, and what the merchant's app validates and activates. One key per grant; it belongs to the
-- member holding the seat (`member_id`) and to the team customer that pays (`customer_id`).
--
-- `activations` counts the key's live activations, so the activation limit is one guarded update
-- (`activations < limit_activations`) that concurrent activations serialise on: exactly the limit
-- succeed. A revoked seat revokes its grants and their keys (`status = 'revoked'`) and deletes their
-- activations in the same transaction.
--
-- Keys are unique per organization (as in Polar): validation names the organization and the key.
-- The full key no longer sits in the grant: the grant's `properties` carry `license_key_id` and
-- `display_key`, as Polar's do. Existing keys move here with the id of their grant (one key per
-- grant, so the id stays unique), their benefit's activation and usage limits, and no expiry (they
-- were granted when no expiry was enforced).

CREATE TABLE license_keys (
    id                 UUID PRIMARY KEY NOT NULL,
    organization_id    UUID NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    modified_at        TIMESTAMPTZ,
    grant_id           UUID NOT NULL UNIQUE REFERENCES benefit_grants (id),
    benefit_id         UUID NOT NULL REFERENCES benefits (id),
    customer_id        UUID NOT NULL REFERENCES customers (id),
    member_id          UUID NOT NULL REFERENCES members (id),
    key                TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('granted', 'revoked', 'disabled')),
    limit_activations  BIGINT CHECK (limit_activations > 0),
    activations        BIGINT NOT NULL DEFAULT 0 CHECK (activations >= 0),
    usage              BIGINT NOT NULL DEFAULT 0 CHECK (usage >= 0),
    limit_usage        BIGINT CHECK (limit_usage > 0),
    validations        BIGINT NOT NULL DEFAULT 0,
    last_validated_at  TIMESTAMPTZ,
    expires_at         TIMESTAMPTZ
);
CREATE UNIQUE INDEX license_keys_key_key ON license_keys (organization_id, key);
CREATE INDEX license_keys_organization_idx ON license_keys (organization_id, created_at);
CREATE INDEX license_keys_member_idx ON license_keys (member_id);
CREATE INDEX license_keys_customer_idx ON license_keys (customer_id);

CREATE TABLE license_key_activations (
    id              UUID PRIMARY KEY NOT NULL,
    license_key_id  UUID NOT NULL REFERENCES license_keys (id),
    created_at      TIMESTAMPTZ NOT NULL,
    modified_at     TIMESTAMPTZ,
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
       NULLIF((b.properties::jsonb -> 'activations' ->> 'limit')::bigint, 0),
       NULLIF((b.properties::jsonb ->> 'limit_usage')::bigint, 0)
FROM benefit_grants g JOIN benefits b ON b.id = g.benefit_id
WHERE g.license_key IS NOT NULL;

UPDATE benefit_grants
SET properties = jsonb_build_object('license_key_id', id::text,
                                    'display_key', '****-' || right(license_key, 6))::text
WHERE license_key IS NOT NULL;

ALTER TABLE benefit_grants DROP COLUMN license_key;

-- Tokens that could read or manage benefits may read or manage the keys those benefits give.
UPDATE access_tokens SET scopes = scopes || ' license_keys:read license_keys:write'
WHERE ' ' || scopes || ' ' LIKE '% benefits:write %';
UPDATE access_tokens SET scopes = scopes || ' license_keys:read'
WHERE ' ' || scopes || ' ' LIKE '% benefits:read %' AND ' ' || scopes || ' ' NOT LIKE '% license_keys:read %';
