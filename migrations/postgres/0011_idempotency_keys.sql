-- Idempotency keys (`Idempotency-Key` on a POST of the API, Stripe's contract). One row per key and
-- caller: `scope` is the SHA-256 of the caller's credential (its bearer token, or, for a public
-- endpoint, its path and body), so keys never collide across callers. The first request holds the
-- row (`locked_until`) while it runs; its response is then kept for 24 hours, encrypted with a key
-- derived from the caller's credential and the idempotency key, so the stored answer (which may
-- carry a new session token) is readable only by a caller presenting the same credential.
CREATE TABLE idempotency_keys (
    scope         BYTEA NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint   BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    locked_until  TIMESTAMPTZ,
    status        BIGINT,
    content_type  TEXT,
    response      BYTEA,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
