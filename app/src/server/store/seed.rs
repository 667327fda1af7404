//! Bulk seeding, for measuring the system at scale (`seatkeeper dev seed`): many seat pools written
//! with multi-row inserts, a batch of pools per transaction, instead of one API call per row.
//!
//! The rows have the shape real use leaves behind. Each pool is a team customer with its owner (the
//! billing manager), an active monthly subscription of `seats_per_pool` seats and the order that
//! paid for it. Of its seats, seven in ten are claimed (with a benefit grant each), two pending (a
//! live invitation) and one revoked; every seat has its audit entries (assigned, then claimed or
//! revoked) and its invitation email, sent, its body erased as the mailer leaves it. The pool's
//! counters are what the seats say (`used_seats`), and the stamp triggers run as for any insert.
//! Webhook events, checkouts and customer sessions are not seeded.

use std::{borrow::Cow, ops::Range};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{
    Backend, SeedStore, SqlStore, StoreError,
    db::{Bind, Tx, Value, query, query_scalar},
    emails_sql::ERASED_BODY,
};
use crate::model::{BenefitId, OrganizationId, PriceId, ProductId};

/// What to seed: `pools` pools of `seats_per_pool` seats of one product, in one organization.
#[derive(Clone, Debug)]
pub struct SeedPlan {
    pub organization_id: OrganizationId,
    pub product_id: ProductId,
    pub price_id: PriceId,
    /// Granted to the holder of each claimed seat.
    pub benefit_id: BenefitId,
    pub currency: String,
    /// In minor units; a pool's subscription costs `seats_per_pool` times this.
    pub price_per_seat: i64,
    /// Pools of this seeding, numbered `0..pools`; their emails are `…@pool-{n}.{label}.seed.example`,
    /// so seedings with different labels never collide in one organization.
    pub pools: u64,
    pub label: String,
    pub seats_per_pool: u32,
    /// Pools were bought over the year before this instant.
    pub now: DateTime<Utc>,
}

/// Rows written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedCounts {
    pub pools: u64,
    pub seats: u64,
    pub members: u64,
    pub audit_entries: u64,
    pub emails: u64,
    pub grants: u64,
}

/// What becomes of the `j`-th seat of a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SeatFate {
    Claimed,
    Pending,
    Revoked,
}

impl SeatFate {
    const fn of(j: u32) -> Self {
        match j % 10 {
            0..=6 => Self::Claimed,
            7 | 8 => Self::Pending,
            _ => Self::Revoked,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Pending => "pending",
            Self::Revoked => "revoked",
        }
    }
}

/// The tables a seeding writes, vacuumed and analyzed after it (outside a transaction).
const SETTLE_POSTGRES: &str = "VACUUM (ANALYZE) customers, members, subscriptions, orders, \
     customer_seats, seat_audit_log, email_outbox, benefit_grants";
const SETTLE_SQLITE: &str = "PRAGMA wal_checkpoint(TRUNCATE)";
/// Whether this PostgreSQL role may `CHECKPOINT` (a superuser, or a member of `pg_checkpoint`).
const MAY_CHECKPOINT: &str = "SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles c \
     WHERE c.rolname = 'pg_checkpoint' AND pg_has_role(current_user, c.oid, 'MEMBER')) \
     FROM pg_roles r WHERE r.rolname = current_user";

/// A placeholder limit both databases accept in one statement (SQLite's is 32,766).
const MAX_BINDS: usize = 30_000;

/// Rows of one table, inserted with as few statements as [`MAX_BINDS`] allows.
struct Rows<'q> {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value<'q>>,
}

impl<'q> Rows<'q> {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Self {
            table,
            columns,
            values: Vec::new(),
        }
    }

    fn push<const N: usize>(&mut self, row: [Value<'q>; N]) {
        debug_assert_eq!(N, self.columns.len(), "a row of {}", self.table);
        self.values.extend(row);
    }

    fn len(&self) -> u64 {
        (self.values.len() / self.columns.len()) as u64
    }

    async fn insert(self, tx: &mut Tx, backend: Backend) -> Result<(), StoreError> {
        let width = self.columns.len();
        let rows_per_statement = MAX_BINDS / width;
        let mut values = self.values.into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Value<'q>> = values.by_ref().take(rows_per_statement * width).collect();
            let sql = insert_sql(backend, self.table, self.columns, chunk.len() / width);
            // Only the table's own names and placeholders are in the text; every value is bound.
            query(sqlx::AssertSqlSafe(sql))
                .bind_all(chunk)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

/// `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)` for `rows` rows. SQLite gets anonymous `?`
/// placeholders instead: the driver looks each numbered one up by name, a scan of all of them, which
/// made a statement of 30,000 of them spend nine tenths of its time finding its parameters.
fn insert_sql(backend: Backend, table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let tuples: Vec<String> = (0..rows)
        .map(|row| {
            let placeholders: Vec<String> = (1..=width)
                .map(|column| match backend {
                    Backend::Sqlite => "?".to_owned(),
                    Backend::Postgres => format!("${}", row * width + column),
                })
                .collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        tuples.join(", ")
    )
}

fn v<'q>(value: impl Bind<'q>) -> Value<'q> {
    value.value()
}

fn text<'q>(value: impl Into<Cow<'q, str>>) -> Value<'q> {
    Value::Text(Some(value.into()))
}

/// 32 random bytes: the hash of an invitation nobody holds.
fn random_hash() -> Vec<u8> {
    [Uuid::new_v4(), Uuid::new_v4()]
        .iter()
        .flat_map(|u| *u.as_bytes())
        .collect()
}

const CUSTOMERS: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "type",
    "email",
    "name",
];
const MEMBERS: &[&str] = &[
    "id",
    "customer_id",
    "organization_id",
    "created_at",
    "email",
    "name",
    "role",
];
const SUBSCRIPTIONS: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "customer_id",
    "product_id",
    "price_id",
    "status",
    "seats",
    "amount",
    "currency",
    "recurring_interval",
    "current_period_start",
    "current_period_end",
    "started_at",
    "used_seats",
];
const ORDERS: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "customer_id",
    "product_id",
    "subscription_id",
    "status",
    "billing_reason",
    "seats",
    "subtotal_amount",
    "total_amount",
    "currency",
];
const SEATS: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "modified_at",
    "subscription_id",
    "status",
    "customer_id",
    "member_id",
    "email",
    "invitation_token_hash",
    "invitation_token_expires_at",
    "claimed_at",
    "revoked_at",
];
const AUDIT: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "seat_id",
    "subscription_id",
    "action",
    "actor_type",
    "email",
];
const EMAILS: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "kind",
    "to_address",
    "subject",
    "text_body",
    "html_body",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "transport",
    "seat_id",
];
const GRANTS: &[&str] = &[
    "id",
    "organization_id",
    "created_at",
    "benefit_id",
    "customer_id",
    "member_id",
    "seat_id",
    "subscription_id",
    "granted_at",
];

/// The rows of a batch of pools, table by table, in the order foreign keys allow.
struct Batch<'q> {
    customers: Rows<'q>,
    members: Rows<'q>,
    subscriptions: Rows<'q>,
    orders: Rows<'q>,
    seats: Rows<'q>,
    audit: Rows<'q>,
    emails: Rows<'q>,
    grants: Rows<'q>,
}

impl<'q> Batch<'q> {
    fn new() -> Self {
        Self {
            customers: Rows::new("customers", CUSTOMERS),
            members: Rows::new("members", MEMBERS),
            subscriptions: Rows::new("subscriptions", SUBSCRIPTIONS),
            orders: Rows::new("orders", ORDERS),
            seats: Rows::new("customer_seats", SEATS),
            audit: Rows::new("seat_audit_log", AUDIT),
            emails: Rows::new("email_outbox", EMAILS),
            grants: Rows::new("benefit_grants", GRANTS),
        }
    }

    fn counts(&self) -> SeedCounts {
        SeedCounts {
            pools: self.subscriptions.len(),
            seats: self.seats.len(),
            members: self.members.len(),
            audit_entries: self.audit.len(),
            emails: self.emails.len(),
            grants: self.grants.len(),
        }
    }

    /// The rows of pool number `n`.
    fn add_pool(&mut self, plan: &'q SeedPlan, n: u64) {
        let org = plan.organization_id;
        let year = Duration::days(365);
        let spread = year.num_seconds() * n as i64 / plan.pools.max(1) as i64;
        let bought = plan.now - year + Duration::seconds(spread);
        let months = (plan.now - bought).num_days() / 30;
        let period_start = bought + Duration::days(30 * months);
        let seats = i64::from(plan.seats_per_pool);
        let amount = seats * plan.price_per_seat;
        let used = (0..plan.seats_per_pool)
            .filter(|&j| SeatFate::of(j) != SeatFate::Revoked)
            .count() as i64;

        let customer = Uuid::now_v7();
        let billing_email = format!("billing@pool-{n}.{}.seed.example", plan.label);
        self.customers.push([
            v(customer),
            v(org),
            v(bought),
            text("team"),
            text(billing_email.clone()),
            text(format!("Team {n}")),
        ]);
        self.members.push([
            v(Uuid::now_v7()),
            v(customer),
            v(org),
            v(bought),
            text(billing_email),
            text(format!("Billing manager {n}")),
            text("owner"),
        ]);
        let subscription = Uuid::now_v7();
        self.subscriptions.push([
            v(subscription),
            v(org),
            v(bought),
            v(customer),
            v(plan.product_id),
            v(plan.price_id),
            text("active"),
            v(seats),
            v(amount),
            text(plan.currency.as_str()),
            text("month"),
            v(period_start),
            v(period_start + Duration::days(30)),
            v(bought),
            v(used),
        ]);
        self.orders.push([
            v(Uuid::now_v7()),
            v(org),
            v(bought),
            v(customer),
            v(plan.product_id),
            v(subscription),
            text("paid"),
            text("subscription_create"),
            v(seats),
            v(amount),
            v(amount),
            text(plan.currency.as_str()),
        ]);
        for j in 0..plan.seats_per_pool {
            self.add_seat(plan, customer, subscription, bought, n, j);
        }
    }

    fn add_seat(
        &mut self,
        plan: &'q SeedPlan,
        customer: Uuid,
        subscription: Uuid,
        bought: DateTime<Utc>,
        n: u64,
        j: u32,
    ) {
        let org = plan.organization_id;
        let fate = SeatFate::of(j);
        let assigned = bought + Duration::minutes(i64::from(j) + 1);
        let settled = assigned + Duration::hours(2);
        let email = format!("person-{j}@pool-{n}.{}.seed.example", plan.label);
        let (member, seat) = (Uuid::now_v7(), Uuid::now_v7());
        self.members.push([
            v(member),
            v(customer),
            v(org),
            v(assigned),
            text(email.clone()),
            Value::Text(None),
            text("member"),
        ]);
        let pending = fate == SeatFate::Pending;
        self.seats.push([
            v(seat),
            v(org),
            v(assigned),
            v((!pending).then_some(settled)),
            v(subscription),
            text(fate.name()),
            v(customer),
            v(member),
            text(email.clone()),
            v(pending.then(random_hash)),
            v(pending.then_some(plan.now + Duration::hours(12))),
            v((fate == SeatFate::Claimed).then_some(settled)),
            v((fate == SeatFate::Revoked).then_some(settled)),
        ]);
        let mut audit = |at: DateTime<Utc>, action: &'static str, actor: &'static str| {
            self.audit.push([
                v(Uuid::now_v7()),
                v(org),
                v(at),
                v(seat),
                v(subscription),
                text(action),
                text(actor),
                text(email.clone()),
            ]);
        };
        audit(assigned, "assigned", "organization");
        match fate {
            SeatFate::Claimed => audit(settled, "claimed", "member"),
            SeatFate::Revoked => audit(settled, "revoked", "organization"),
            SeatFate::Pending => {}
        }
        self.emails.push([
            v(Uuid::now_v7()),
            v(org),
            v(assigned),
            text("seat_invitation"),
            text(email),
            text("You have been given a seat"),
            text(ERASED_BODY),
            text(ERASED_BODY),
            text("sent"),
            v(1_i64),
            v(assigned),
            v(assigned + Duration::seconds(1)),
            text("smtp"),
            v(seat),
        ]);
        if fate == SeatFate::Claimed {
            self.grants.push([
                v(Uuid::now_v7()),
                v(org),
                v(settled),
                v(plan.benefit_id),
                v(customer),
                v(member),
                v(seat),
                v(subscription),
                v(settled),
            ]);
        }
    }

    async fn insert(self, tx: &mut Tx, backend: Backend) -> Result<(), StoreError> {
        for rows in [
            self.customers,
            self.members,
            self.subscriptions,
            self.orders,
            self.seats,
            self.audit,
            self.emails,
            self.grants,
        ] {
            rows.insert(tx, backend).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl SeedStore for SqlStore {
    async fn seed_pools(
        &self,
        plan: &SeedPlan,
        pools: Range<u64>,
    ) -> Result<SeedCounts, StoreError> {
        let mut batch = Batch::new();
        for n in pools {
            batch.add_pool(plan, n);
        }
        let counts = batch.counts();
        let mut tx = self.db.begin_write().await?;
        if self.db.backend() == Backend::Postgres {
            // Seeded rows may be lost to a crash right after the commit: it need not wait for the
            // disk (only this transaction; the server's own keep waiting).
            query("SET LOCAL synchronous_commit = off")
                .execute(&mut tx)
                .await?;
        }
        batch.insert(&mut tx, self.db.backend()).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn settle_after_seed(&self) -> Result<(), StoreError> {
        match self.db.backend() {
            Backend::Postgres => {
                query(SETTLE_POSTGRES).execute(&self.db).await?;
                // The vacuum dirtied every page it set hint bits on; without a checkpoint now, the
                // checkpointer writes the gigabytes out over the next minutes, under whatever is
                // measured then. A role that may not checkpoint leaves it to the checkpointer.
                let may: bool = query_scalar(MAY_CHECKPOINT).fetch_one(&self.db).await?;
                if may {
                    query("CHECKPOINT").execute(&self.db).await?;
                }
            }
            Backend::Sqlite => {
                query(SETTLE_SQLITE)
                    .execute(&self.db.writer().await?)
                    .await?;
            }
        }
        Ok(())
    }
}

impl std::ops::AddAssign for SeedCounts {
    fn add_assign(&mut self, other: Self) {
        self.pools += other.pools;
        self.seats += other.seats;
        self.members += other.members;
        self.audit_entries += other.audit_entries;
        self.emails += other.emails;
        self.grants += other.grants;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_numbers_its_placeholders_row_after_row_and_sqlite_gets_anonymous_ones() {
        assert_eq!(
            insert_sql(Backend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql(Backend::Sqlite, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }

    #[test]
    fn seven_seats_in_ten_are_claimed_two_pending_and_one_revoked() {
        let fates: Vec<SeatFate> = (0..10).map(SeatFate::of).collect();
        let count = |fate| fates.iter().filter(|f| **f == fate).count();
        assert_eq!(count(SeatFate::Claimed), 7);
        assert_eq!(count(SeatFate::Pending), 2);
        assert_eq!(count(SeatFate::Revoked), 1);
    }

    #[test]
    fn a_statement_stays_under_the_placeholder_limit_of_both_databases() {
        for columns in [
            CUSTOMERS,
            MEMBERS,
            SUBSCRIPTIONS,
            ORDERS,
            SEATS,
            AUDIT,
            EMAILS,
            GRANTS,
        ] {
            let rows = MAX_BINDS / columns.len();
            assert!(rows * columns.len() <= 32_766, "{columns:?}");
        }
    }
}
