-- What an assignment writes, made cheaper on PostgreSQL (the performance issue):
--
-- 1. The foreign keys from the tables every assignment, claim and event appends to (members, seats,
--    the audit log, the email outbox, events, benefit grants) to `organizations` are dropped. Each
--    such insert took a `FOR KEY SHARE` lock on the one organization row, and concurrent
--    assignments made PostgreSQL combine their lockers into a new multixact on that hot row every
--    time (a WAL record and an exclusive buffer lock per insert): measured with pgbench, three
--    inserts with that key per transaction ran at about 0.75 of the same inserts without it. The
--    organization of these rows is still fixed by the references they keep (a seat by its pool and
--    customer, a member by its customer, an audit entry and a grant by their seat), organizations
--    are never deleted, and the store writes `organization_id` from the context it checked.
-- 2. A seat is inserted only by the statement that takes its pool's capacity, and that statement
--    now moves the pool's stamp too (`seats_version`): the trigger that bumped it after each seat
--    insert, a second new version of the hot pool row per assignment, is gone. Updates of a seat
--    still move the stamp through their trigger.

ALTER TABLE members DROP CONSTRAINT members_organization_id_fkey;
ALTER TABLE customer_seats DROP CONSTRAINT customer_seats_organization_id_fkey;
ALTER TABLE seat_audit_log DROP CONSTRAINT seat_audit_log_organization_id_fkey;
ALTER TABLE email_outbox DROP CONSTRAINT email_outbox_organization_id_fkey;
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_organization_id_fkey;
ALTER TABLE benefit_grants DROP CONSTRAINT benefit_grants_organization_id_fkey;

DROP TRIGGER customer_seats_bump_pool ON customer_seats;
CREATE TRIGGER customer_seats_bump_pool AFTER UPDATE ON customer_seats
    FOR EACH ROW EXECUTE FUNCTION seatkeeper_bump_seat_pool();
