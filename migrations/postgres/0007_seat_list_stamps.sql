-- Stamps for cached seat lists. A seat list (`SeatsList`) is built from the pool's seats, the pool's
-- size, its customer and the customer's members. Each of those changes moves a counter the list's
-- cache compares before answering from memory (one indexed read instead of the whole list):
-- - `seats_version` on the pool moves with every insert or update of one of its seats;
-- - `seats_view_version` on the customer moves with every update of the customer or of one of its
--   members (names, emails, roles, removals);
-- - the pool's `seats` column is part of the stamp itself.
-- Triggers keep the counters, so no write path can forget one, in every process sharing the database.

ALTER TABLE subscriptions ADD COLUMN seats_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN seats_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN seats_view_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION seatkeeper_bump_seat_pool() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.subscription_id IS NOT NULL THEN
        UPDATE subscriptions SET seats_version = seats_version + 1 WHERE id = NEW.subscription_id;
    ELSE
        UPDATE orders SET seats_version = seats_version + 1 WHERE id = NEW.order_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER customer_seats_bump_pool AFTER INSERT OR UPDATE ON customer_seats
    FOR EACH ROW EXECUTE FUNCTION seatkeeper_bump_seat_pool();

CREATE FUNCTION seatkeeper_bump_customer_view() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seats_view_version := OLD.seats_view_version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER customers_bump_view BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION seatkeeper_bump_customer_view();

CREATE FUNCTION seatkeeper_bump_member_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customers SET seats_view_version = seats_view_version + 1 WHERE id = NEW.customer_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_bump_customer_view AFTER UPDATE ON members
    FOR EACH ROW EXECUTE FUNCTION seatkeeper_bump_member_customer();
