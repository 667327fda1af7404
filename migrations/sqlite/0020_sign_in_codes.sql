-- Signing in to the portal by email (Polar's `customer-session/request` and `authenticate`): a
-- one-time code, emailed, kept only as its hash, for the member it signs in (a customer's owner, a
-- billing manager, or a member holding a claimed seat). Redeeming deletes it; a new code for the
-- same member replaces it; expired ones are swept when a code is written.

CREATE TABLE customer_session_codes (
    code_hash        BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id      BLOB NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    member_id        BLOB NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    -- The email that carries the code: erased once the code is used.
    email_id         BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL
);
-- One live code per person: a new one replaces the last (an upsert on this key).
CREATE UNIQUE INDEX customer_session_codes_member_key ON customer_session_codes (member_id);
CREATE INDEX customer_session_codes_expiry_idx ON customer_session_codes (expires_at);
-- Who an email signs in: found by these two (partial: an ordinary member's insert, the hot path of
-- an assignment, writes no entry in either; a claim writes one).
CREATE INDEX members_managers_email_idx ON members (organization_id, email)
    WHERE role <> 'member' AND deleted_at IS NULL;
CREATE INDEX customer_seats_claimed_email_idx ON customer_seats (organization_id, email)
    WHERE status = 'claimed';
