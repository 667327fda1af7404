-- A seat is inserted only by the statement that takes its pool's capacity, and that statement now
-- moves the pool's stamp too (`seats_version`): the trigger that bumped it after each seat insert
-- is gone. Updates of a seat still move the stamp through their trigger. (PostgreSQL's 0015 also
-- drops the foreign keys to `organizations` of the append-heavy tables, a row-lock cost SQLite
-- does not have: its foreign keys stay.)

DROP TRIGGER customer_seats_insert_bump_pool;
