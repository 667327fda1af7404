-- Customer state (the entitlements issue): what a customer's state is read from, the changes that
-- still owe a `customer.state_changed` webhook, and the keys that sign offline license
-- certificates.
--
-- A customer's live grants are read by customer (the state), so they get an index of their own.
--
-- `customer_state_changes` holds one row per customer whose subscriptions or grants changed since
-- its last `customer.state_changed` event, for organizations with an endpoint subscribed to it.
-- The dispatcher writes the row in the transaction that fans out the change's own event; a worker
-- then reads the customer's state fresh, writes the event and deletes the row, only if no newer
-- change bumped its `version` meanwhile (that one gets its own event). A crash between the two
-- loses nothing: the row is still there.
--
-- `license_signing_keys`: one Ed25519 key pair per organization in use (`retired_at` NULL), made
-- on first use; a rotation retires it and makes the next. Retired keys stay so that their public
-- halves are still published for certificates signed before the rotation.

CREATE INDEX benefit_grants_live_customer_idx ON benefit_grants (customer_id)
    WHERE revoked_at IS NULL;

CREATE TABLE customer_state_changes (
    organization_id  UUID NOT NULL,
    customer_id      UUID NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    changed_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, customer_id)
);

CREATE TABLE license_signing_keys (
    id               UUID PRIMARY KEY NOT NULL,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at       TIMESTAMPTZ NOT NULL,
    private_key      BYTEA NOT NULL,
    public_key       BYTEA NOT NULL,
    retired_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX license_signing_keys_live_key ON license_signing_keys (organization_id)
    WHERE retired_at IS NULL;
CREATE INDEX license_signing_keys_organization_idx ON license_signing_keys (organization_id, created_at);
