//! One execution out of a guarded update and the inserts that go with it.
//!
//! PostgreSQL runs data-modifying statements inside `WITH`:
//!
//! ```sql
//! WITH guard AS (UPDATE subscriptions SET used_seats = used_seats + 1 WHERE id = $1 AND used_seats < seats RETURNING 1),
//!      w1 AS (INSERT INTO customer_seats (...) SELECT $2, $3, ... FROM guard),
//!      w2 AS (INSERT INTO seat_audit_log (...) SELECT $17, ... FROM guard)
//! SELECT count(*) FROM guard
//! ```
//!
//! is one statement: one round trip instead of a transaction's `BEGIN`, one per write and `COMMIT`,
//! and atomic by itself. Every insert happens only when the guard matched its row (the count says
//! whether it did), and a failing insert (a unique index) undoes the whole statement, guard included.
//! Foreign keys are checked at the end of the statement, so an insert may refer to a row another
//! insert of the same statement creates.
//!
//! SQLite has no data-modifying `WITH`, but runs several statements handed over at once, each
//! binding the numbered placeholders it names. The same chain becomes one script, run in the
//! caller's transaction (one hand-over to SQLite's connection thread instead of one per write):
//!
//! ```sql
//! UPDATE subscriptions SET used_seats = used_seats + 1 WHERE id = $1 AND used_seats < seats;
//! INSERT INTO customer_seats (...) SELECT $2, $3, ... WHERE changes() = 1;
//! INSERT INTO seat_audit_log (...) SELECT $17, ... WHERE changes() = 1;
//! SELECT changes()
//! ```
//!
//! `changes()` counts the rows the statement before changed (never a trigger's), so each insert runs
//! only when the one before it wrote its row, and the last answer is 1 exactly when the guard
//! matched and every insert followed; a failing insert fails the script and the caller's transaction
//! rolls the rest back.
//!
//! The inserts are the store's own `INSERT INTO t (...) VALUES (...)` statements, with their
//! placeholders renumbered to follow the ones before them; the caller binds their parameters in the
//! same order, with the same bind helpers as when they run alone, so each table's columns stay
//! written down once.

use super::{Backend, StoreError};

/// A statement being built: the guard, then the inserts, each with its placeholders.
#[derive(Clone, Debug)]
pub(super) struct Chain {
    guard: String,
    /// Each insert's `INSERT INTO t (...)` and its renumbered values.
    inserts: Vec<(String, String)>,
    params: usize,
}

impl Chain {
    /// Starts with `guard` (an `UPDATE` with `params` placeholders, `$1` to `$params`): the inserts
    /// run only when it changes a row.
    pub(super) fn new(guard: &str, params: usize) -> Self {
        Self {
            guard: guard.to_owned(),
            inserts: Vec::new(),
            params,
        }
    }

    /// Adds `insert`, an `INSERT INTO t (...) VALUES (...)`, to run when the guard matched. Its
    /// parameters are bound next, in their own order. An insert of another form is refused (the
    /// store's own constants all have it; a test chains each of them).
    pub(super) fn insert(&mut self, insert: &str) -> Result<&mut Self, StoreError> {
        let (head, values) = insert
            .rsplit_once(" VALUES (")
            .and_then(|(head, rest)| Some((head, rest.strip_suffix(')')?)))
            .ok_or_else(|| {
                StoreError::Corrupt(format!("not an INSERT ... VALUES (...): {insert}"))
            })?;
        let (values, used) = renumber(values, self.params);
        self.params += used;
        self.inserts.push((head.to_owned(), values));
        Ok(self)
    }

    /// The statement for `backend`: it answers one row, the number of rows the guard changed
    /// (0 or 1) with every insert done.
    pub(super) fn finish(self, backend: Backend) -> String {
        let mut sql = String::with_capacity(256 * (self.inserts.len() + 1));
        match backend {
            Backend::Postgres => {
                sql.push_str(&format!("WITH guard AS ({} RETURNING 1)", self.guard));
                for (i, (head, values)) in self.inserts.iter().enumerate() {
                    sql.push_str(&format!(
                        ", w{} AS ({head} SELECT {values} FROM guard)",
                        i + 1
                    ));
                }
                sql.push_str(" SELECT count(*) FROM guard");
            }
            Backend::Sqlite => {
                sql.push_str(&self.guard);
                for (head, values) in &self.inserts {
                    sql.push_str(&format!("; {head} SELECT {values} WHERE changes() = 1"));
                }
                sql.push_str("; SELECT changes()");
            }
        }
        sql
    }
}

/// `values` with every placeholder `$n` moved to `$(n + offset)`, and the largest `n` seen.
fn renumber(values: &str, offset: usize) -> (String, usize) {
    let mut out = String::with_capacity(values.len() + 8);
    let mut largest = 0;
    let mut chars = values.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut end = at + 1;
        while let Some((i, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
            end = i + d.len_utf8();
            chars.next();
        }
        match values[at + 1..end].parse::<usize>() {
            Ok(n) => {
                largest = largest.max(n);
                out.push_str(&format!("${}", n + offset));
            }
            Err(_) => out.push('$'),
        }
    }
    (out, largest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_moved_past_the_ones_before_them() {
        assert_eq!(
            renumber("$1, $2, 'pending', 0, $1, $10", 4),
            ("$5, $6, 'pending', 0, $5, $14".to_owned(), 10)
        );
        assert_eq!(renumber("NULL, now()", 3), ("NULL, now()".to_owned(), 0));
    }

    #[test]
    fn a_chain_runs_each_insert_only_when_the_guard_matched() {
        let mut chain = Chain::new("UPDATE pools SET used = used + 1 WHERE id = $1", 1);
        chain
            .insert("INSERT INTO seats (id, email) VALUES ($1, $2)")
            .unwrap()
            .insert("INSERT INTO outbox (id, status, due) VALUES ($1, 'pending', $1)")
            .unwrap();
        let sqlite = chain.clone();
        assert_eq!(
            chain.finish(Backend::Postgres),
            "WITH guard AS (UPDATE pools SET used = used + 1 WHERE id = $1 RETURNING 1), \
             w1 AS (INSERT INTO seats (id, email) SELECT $2, $3 FROM guard), \
             w2 AS (INSERT INTO outbox (id, status, due) SELECT $4, 'pending', $4 FROM guard) \
             SELECT count(*) FROM guard"
        );
        assert_eq!(
            sqlite.finish(Backend::Sqlite),
            "UPDATE pools SET used = used + 1 WHERE id = $1; \
             INSERT INTO seats (id, email) SELECT $2, $3 WHERE changes() = 1; \
             INSERT INTO outbox (id, status, due) SELECT $4, 'pending', $4 WHERE changes() = 1; \
             SELECT changes()"
        );
    }

    #[test]
    fn a_statement_that_is_not_an_insert_with_values_is_refused() {
        let mut chain = Chain::new("UPDATE pools SET used = used + 1 WHERE id = $1", 1);
        assert!(chain.insert("DELETE FROM seats WHERE id = $1").is_err());
        assert!(chain.insert("INSERT INTO seats SELECT * FROM old").is_err());
    }

    #[test]
    fn the_store_s_own_inserts_chain() {
        use crate::server::store::{
            catalog_sql, customers_sql, emails_sql, license_keys, seats_sql,
        };
        let mut chain = Chain::new(seats_sql::TAKE_SUBSCRIPTION_SEAT, 1);
        for insert in [
            customers_sql::INSERT_MEMBER,
            seats_sql::INSERT_SEAT,
            seats_sql::INSERT_GRANT,
            license_keys::INSERT_LICENSE_KEY,
            emails_sql::INSERT_EMAIL,
            seats_sql::INSERT_AUDIT,
            catalog_sql::INSERT_EVENT,
        ] {
            chain.insert(insert).unwrap();
        }
        // 1 + member 10 + seat 15 + grant 13 + license key 17 + email 9 + audit 12 + event 5.
        assert_eq!(chain.params, 82);
        assert!(
            chain
                .finish(Backend::Postgres)
                .ends_with(" FROM guard) SELECT count(*) FROM guard")
        );
    }
}
