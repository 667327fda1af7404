-- Stamps for cached seat lists. A seat list (`SeatsList`) is built from the pool's seats, the pool's
-- size, its customer and the customer's members. Each of those changes moves a counter the list's
-- cache compares before answering from memory (one indexed read instead of the whole list):
-- - `seats_version` on the pool moves with every insert or update of one of its seats;
-- - `seats_view_version` on the customer moves with every update of the customer or of one of its
--   members (names, emails, roles, removals);
-- - the pool's `seats` column is part of the stamp itself.
-- Triggers keep the counters, so no write path can forget one. (The inner updates touch only the
-- counter, which the `UPDATE OF` lists leave out: no trigger fires itself.)

ALTER TABLE subscriptions ADD COLUMN seats_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN seats_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customers ADD COLUMN seats_view_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER customer_seats_insert_bump_pool AFTER INSERT ON customer_seats
BEGIN
    UPDATE subscriptions SET seats_version = seats_version + 1 WHERE id = NEW.subscription_id;
    UPDATE orders SET seats_version = seats_version + 1 WHERE id = NEW.order_id;
END;

CREATE TRIGGER customer_seats_update_bump_pool AFTER UPDATE ON customer_seats
BEGIN
    UPDATE subscriptions SET seats_version = seats_version + 1 WHERE id = NEW.subscription_id;
    UPDATE orders SET seats_version = seats_version + 1 WHERE id = NEW.order_id;
END;

CREATE TRIGGER customers_bump_view
AFTER UPDATE OF organization_id, created_at, modified_at, type, email, name, external_id, metadata, deleted_at
ON customers
BEGIN
    UPDATE customers SET seats_view_version = seats_view_version + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER members_bump_customer_view AFTER UPDATE ON members
BEGIN
    UPDATE customers SET seats_view_version = seats_view_version + 1 WHERE id = NEW.customer_id;
END;
