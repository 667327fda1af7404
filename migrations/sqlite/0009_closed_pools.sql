-- A deleted customer's pools accept no new seats. The flag lives on the pool row itself, which the
-- capacity update reads and writes: a deletion and an assignment racing each other are ordered by that
-- row (its lock on PostgreSQL, the write lock on SQLite). An assignment either lands before the
-- deletion, which then revokes it in its own transaction, or finds the pool closed.
ALTER TABLE subscriptions ADD COLUMN seats_closed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE orders ADD COLUMN seats_closed BOOLEAN NOT NULL DEFAULT FALSE;
