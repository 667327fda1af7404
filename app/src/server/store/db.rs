//! The two databases behind one small query API, so the store's SQL and the Rust around it are
//! written once for both.
//!
//! [`Db`] is an open pool of either backend, [`Tx`] a transaction on one; a statement runs [`On`]
//! either. [`query`], [`query_as`] and [`query_scalar`] read like sqlx's functions of the same names,
//! but bind [`Value`]s (ids, text, integers, booleans, timestamps, bytes, each possibly null) and run on
//! whichever backend they are given. Rows decode with sqlx's `FromRow` on both ([`Record`]).
//!
//! Why not `SqlStore<D: sqlx::Database>`: generic code over sqlx has to repeat, on every `impl`
//! block, bounds the compiler does not carry with a trait (`for<'c> &'c mut D::Connection:
//! Executor<'c, Database = D>`, `Encode`/`Decode`/`Type` for every bound and read type), and
//! `async_trait`'s `Send` futures over those higher-ranked bounds fail in ways that name sqlx's
//! internals, not our code. Dispatching on a two-variant enum costs one `match` per statement, keeps
//! every store function concrete, and names the real differences between the backends as methods of
//! [`Db`] (how a writing transaction begins, which migrations apply).

use std::{borrow::Cow, marker::PhantomData, sync::Arc};

use chrono::{DateTime, Utc};
use sqlx::{
    Arguments, Decode, Encode, FromRow, PgConnection, PgPool, Postgres, SqlSafeStr, SqlStr, Sqlite,
    SqliteConnection, SqlitePool, Type, postgres::PgRow, sqlite::SqliteRow,
};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

use super::{Backend, StoreError};
use crate::model::TypedId;

/// An open pool of one of the two databases. SQLite's is two: readers, and its writers. A clone
/// shares the pools.
#[derive(Clone, Debug)]
pub(super) enum Db {
    Sqlite(SqlitePool, Writers),
    Postgres(PgPool),
}

/// SQLite's writers in this process: one connection, used by one writer at a time, in the order
/// they asked. SQLite lets one connection write at a time; without this queue the others sleep and
/// retry in its busy handler (at growing intervals, up to 100 ms each), which made the slowest
/// assignment of a busy second wait hundreds of milliseconds behind writers that came later. Waiting
/// here costs no connection and no sleep: the next writer starts as soon as the last one commits.
/// One connection also keeps its page cache across writes, where writers taking turns on many
/// connections each found theirs stale and read the pages again. Readers never wait (WAL) and use
/// the other pool. Another process writing the same file still meets the busy handler.
/// How long a SQLite writer waits for its turn before giving up (as long as SQLite's busy timeout).
const WRITER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Clone, Debug)]
pub(super) struct Writers {
    pool: SqlitePool,
    queue: Arc<Mutex<()>>,
}

impl Writers {
    /// `pool`: one connection.
    pub(super) fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            queue: Arc::default(),
        }
    }

    /// Waits for this writer's turn (at most [`WRITER_PATIENCE`], then the pool's timeout error, as
    /// a busy database answered before); the turn ends when the guard is dropped.
    async fn turn(&self) -> Result<OwnedMutexGuard<()>, StoreError> {
        tokio::time::timeout(WRITER_PATIENCE, self.queue.clone().lock_owned())
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))
    }
}

/// A statement that writes outside a transaction runs on this ([`Db::writer`]): on SQLite it holds
/// the writers' turn while it runs.
pub(super) struct Writer<'d> {
    db: &'d Db,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl Db {
    pub(super) const fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(..) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens a transaction that will write. SQLite takes its write lock up front (`BEGIN
    /// IMMEDIATE`), so a transaction that reads then writes waits for the lock at its start instead of
    /// failing with "database is locked" at its first write; PostgreSQL locks rows as they are
    /// written.
    ///
    /// On SQLite the transaction first waits for its turn among the process's writers
    /// ([`Writers`]) and holds it until it commits or rolls back.
    pub(super) async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Self::Sqlite(_, writers) => {
                let turn = writers.turn().await?;
                Tx::Sqlite(writers.pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Self::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Where a statement that writes outside a transaction runs: on SQLite, after waiting for its
    /// turn among the process's writers.
    pub(super) async fn writer(&self) -> Result<Writer<'_>, StoreError> {
        let turn = match self {
            Self::Sqlite(_, writers) => Some(writers.turn().await?),
            Self::Postgres(_) => None,
        };
        Ok(Writer {
            db: self,
            _turn: turn,
        })
    }

    /// The statement that leases due emails: PostgreSQL skips rows another process holds.
    pub(super) const fn lease_due_emails_sql(&self) -> &'static str {
        match self {
            Self::Sqlite(..) => super::sqlite::LEASE_DUE_EMAILS,
            Self::Postgres(_) => super::postgres::LEASE_DUE_EMAILS,
        }
    }

    /// The statement that leases due webhook endpoints: PostgreSQL skips rows another process holds.
    pub(super) const fn lease_due_webhook_endpoints_sql(&self) -> &'static str {
        match self {
            Self::Sqlite(..) => super::sqlite::LEASE_DUE_WEBHOOK_ENDPOINTS,
            Self::Postgres(_) => super::postgres::LEASE_DUE_WEBHOOK_ENDPOINTS,
        }
    }

    /// The statement that locks a webhook endpoint's row until the transaction ends (`$1` the
    /// endpoint); none on SQLite, whose writing transaction already holds the whole database.
    pub(super) const fn lock_webhook_endpoint_sql(&self) -> Option<&'static str> {
        match self {
            Self::Sqlite(..) => None,
            Self::Postgres(_) => Some(super::postgres::LOCK_WEBHOOK_ENDPOINT),
        }
    }

    /// Applies the pending migrations of this backend.
    pub(super) async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(_, writers) => super::sqlite::MIGRATOR.run(&writers.pool).await?,
            Self::Postgres(pool) => super::postgres::MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Closes the pool, waiting for the connections in use to come back.
    pub(super) async fn close(&self) {
        match self {
            Self::Sqlite(readers, writers) => {
                readers.close().await;
                writers.pool.close().await;
            }
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

/// An open transaction; dropped without [`Tx::commit`], it rolls back. A SQLite one holds its
/// writers' turn (dropped after the transaction: fields drop in order).
pub(super) enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>, OwnedMutexGuard<()>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(super) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(tx, _turn) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Where a statement runs: on the pool (a connection of its own, committed at once) or inside a
/// transaction.
pub(super) enum On<'e> {
    SqlitePool(&'e SqlitePool),
    PgPool(&'e PgPool),
    Sqlite(&'e mut SqliteConnection),
    Postgres(&'e mut PgConnection),
}

impl<'e> From<&'e Db> for On<'e> {
    fn from(db: &'e Db) -> Self {
        match db {
            Db::Sqlite(pool, _) => Self::SqlitePool(pool),
            Db::Postgres(pool) => Self::PgPool(pool),
        }
    }
}

impl<'e> From<&'e Writer<'_>> for On<'e> {
    fn from(writer: &'e Writer<'_>) -> Self {
        match writer.db {
            Db::Sqlite(_, writers) => Self::SqlitePool(&writers.pool),
            Db::Postgres(pool) => Self::PgPool(pool),
        }
    }
}

impl<'e> From<&'e mut Tx> for On<'e> {
    fn from(tx: &'e mut Tx) -> Self {
        match tx {
            Tx::Sqlite(tx, _) => Self::Sqlite(tx),
            Tx::Postgres(tx) => Self::Postgres(tx),
        }
    }
}

/// A value bound to a placeholder. Each kind carries its own null, so PostgreSQL learns the type of
/// a null parameter too.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value<'q> {
    Uuid(Option<Uuid>),
    Text(Option<Cow<'q, str>>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Time(Option<DateTime<Utc>>),
    Bytes(Option<Cow<'q, [u8]>>),
}

/// What can be bound to a placeholder.
pub(super) trait Bind<'q> {
    /// The null of this type.
    const NULL: Value<'q>;

    fn value(self) -> Value<'q>;
}

impl<'q, T: Bind<'q>> Bind<'q> for Option<T> {
    const NULL: Value<'q> = T::NULL;

    fn value(self) -> Value<'q> {
        self.map_or(T::NULL, Bind::value)
    }
}

impl<'q, T: TypedId> Bind<'q> for T {
    const NULL: Value<'q> = Value::Uuid(None);

    fn value(self) -> Value<'q> {
        Value::Uuid(Some(self.uuid()))
    }
}

impl<'q> Bind<'q> for Uuid {
    const NULL: Value<'q> = Value::Uuid(None);

    fn value(self) -> Value<'q> {
        Value::Uuid(Some(self))
    }
}

impl<'q> Bind<'q> for &'q str {
    const NULL: Value<'q> = Value::Text(None);

    fn value(self) -> Value<'q> {
        Value::Text(Some(Cow::Borrowed(self)))
    }
}

impl<'q> Bind<'q> for &'q String {
    const NULL: Value<'q> = Value::Text(None);

    fn value(self) -> Value<'q> {
        Value::Text(Some(Cow::Borrowed(self)))
    }
}

impl<'q> Bind<'q> for String {
    const NULL: Value<'q> = Value::Text(None);

    fn value(self) -> Value<'q> {
        Value::Text(Some(Cow::Owned(self)))
    }
}

impl<'q> Bind<'q> for &'q Option<String> {
    const NULL: Value<'q> = Value::Text(None);

    fn value(self) -> Value<'q> {
        Value::Text(self.as_deref().map(Cow::Borrowed))
    }
}

impl<'q> Bind<'q> for i64 {
    const NULL: Value<'q> = Value::Int(None);

    fn value(self) -> Value<'q> {
        Value::Int(Some(self))
    }
}

impl<'q> Bind<'q> for bool {
    const NULL: Value<'q> = Value::Bool(None);

    fn value(self) -> Value<'q> {
        Value::Bool(Some(self))
    }
}

impl<'q> Bind<'q> for DateTime<Utc> {
    const NULL: Value<'q> = Value::Time(None);

    fn value(self) -> Value<'q> {
        Value::Time(Some(self))
    }
}

impl<'q> Bind<'q> for &'q [u8] {
    const NULL: Value<'q> = Value::Bytes(None);

    fn value(self) -> Value<'q> {
        Value::Bytes(Some(Cow::Borrowed(self)))
    }
}

impl<'q> Bind<'q> for &'q Vec<u8> {
    const NULL: Value<'q> = Value::Bytes(None);

    fn value(self) -> Value<'q> {
        Value::Bytes(Some(Cow::Borrowed(self)))
    }
}

impl<'q> Bind<'q> for Vec<u8> {
    const NULL: Value<'q> = Value::Bytes(None);

    fn value(self) -> Value<'q> {
        Value::Bytes(Some(Cow::Owned(self)))
    }
}

/// A row type both drivers decode (derive `sqlx::FromRow`).
pub(super) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A single column both drivers decode.
pub(super) trait Scalar:
    for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
    + Send
    + Unpin
{
}

impl<T> Scalar for T where
    T: for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
        + Send
        + Unpin
{
}

/// What a statement that returns no rows did.
#[derive(Clone, Copy, Debug)]
pub(super) struct Executed {
    rows_affected: u64,
}

impl Executed {
    pub(super) const fn rows_affected(self) -> u64 {
        self.rows_affected
    }
}

/// A statement and the values bound to its placeholders, in order.
#[derive(Debug)]
pub(super) struct Query<'q> {
    sql: SqlStr,
    values: Vec<Value<'q>>,
}

/// A statement (the store's own constants, or text built from them: see `list_sql.rs`).
pub(super) fn query<'q>(sql: impl SqlSafeStr) -> Query<'q> {
    Query {
        sql: sql.into_sql_str(),
        values: Vec::new(),
    }
}

/// A statement whose rows decode as `R`.
pub(super) fn query_as<'q, R: Record>(sql: impl SqlSafeStr) -> QueryAs<'q, R> {
    QueryAs {
        query: query(sql),
        row: PhantomData,
    }
}

/// A statement whose rows are one column of `T`.
pub(super) fn query_scalar<'q, T: Scalar>(sql: impl SqlSafeStr) -> QueryScalar<'q, T> {
    QueryScalar {
        query: query(sql),
        column: PhantomData,
    }
}

impl<'q> Query<'q> {
    pub(super) fn bind(mut self, value: impl Bind<'q>) -> Self {
        self.values.push(value.value());
        self
    }

    /// Binds `values` to the next placeholders, in order (a multi-row insert's rows).
    pub(super) fn bind_all(mut self, values: impl IntoIterator<Item = Value<'q>>) -> Self {
        self.values.extend(values);
        self
    }

    /// The same statement, read as one column of `T` (a statement that returns one).
    pub(super) fn scalar<T: Scalar>(self) -> QueryScalar<'q, T> {
        QueryScalar {
            query: self,
            column: PhantomData,
        }
    }

    pub(super) async fn execute(self, on: impl Into<On<'_>>) -> Result<Executed, StoreError> {
        let Self { sql, values } = self;
        let rows_affected = match on.into() {
            On::SqlitePool(pool) => {
                let arguments = arguments::<Sqlite>(values)?;
                sqlx::query_with(sql, arguments)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
            On::PgPool(pool) => {
                let arguments = arguments::<Postgres>(values)?;
                sqlx::query_with(sql, arguments)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
            On::Sqlite(conn) => {
                let arguments = arguments::<Sqlite>(values)?;
                sqlx::query_with(sql, arguments)
                    .execute(conn)
                    .await?
                    .rows_affected()
            }
            On::Postgres(conn) => {
                let arguments = arguments::<Postgres>(values)?;
                sqlx::query_with(sql, arguments)
                    .execute(conn)
                    .await?
                    .rows_affected()
            }
        };
        Ok(Executed { rows_affected })
    }
}

/// A [`Query`] whose rows decode as `R`.
#[derive(Debug)]
pub(super) struct QueryAs<'q, R> {
    query: Query<'q>,
    row: PhantomData<fn() -> R>,
}

impl<'q, R: Record> QueryAs<'q, R> {
    pub(super) fn bind(mut self, value: impl Bind<'q>) -> Self {
        self.query = self.query.bind(value);
        self
    }

    /// The first row, if any. The store reads one row only by a key that names at most one, so
    /// this reads every row the statement returns and keeps the first.
    pub(super) async fn fetch_optional(
        self,
        on: impl Into<On<'_>>,
    ) -> Result<Option<R>, StoreError> {
        Ok(self.fetch_all(on).await?.into_iter().next())
    }

    pub(super) async fn fetch_one(self, on: impl Into<On<'_>>) -> Result<R, StoreError> {
        self.fetch_optional(on)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    pub(super) async fn fetch_all(self, on: impl Into<On<'_>>) -> Result<Vec<R>, StoreError> {
        let Query { sql, values } = self.query;
        Ok(match on.into() {
            On::SqlitePool(pool) => {
                let arguments = arguments::<Sqlite>(values)?;
                sqlx::query_as_with(sql, arguments).fetch_all(pool).await?
            }
            On::PgPool(pool) => {
                let arguments = arguments::<Postgres>(values)?;
                sqlx::query_as_with(sql, arguments).fetch_all(pool).await?
            }
            On::Sqlite(conn) => {
                let arguments = arguments::<Sqlite>(values)?;
                sqlx::query_as_with(sql, arguments).fetch_all(conn).await?
            }
            On::Postgres(conn) => {
                let arguments = arguments::<Postgres>(values)?;
                sqlx::query_as_with(sql, arguments).fetch_all(conn).await?
            }
        })
    }
}

/// A [`Query`] whose rows are one column of `T`.
#[derive(Debug)]
pub(super) struct QueryScalar<'q, T> {
    query: Query<'q>,
    column: PhantomData<fn() -> T>,
}

impl<'q, T: Scalar> QueryScalar<'q, T> {
    pub(super) fn bind(mut self, value: impl Bind<'q>) -> Self {
        self.query = self.query.bind(value);
        self
    }

    pub(super) async fn fetch_optional(
        self,
        on: impl Into<On<'_>>,
    ) -> Result<Option<T>, StoreError> {
        let rows: Option<(T,)> = QueryAs {
            query: self.query,
            row: PhantomData,
        }
        .fetch_optional(on)
        .await?;
        Ok(rows.map(|(value,)| value))
    }

    pub(super) async fn fetch_one(self, on: impl Into<On<'_>>) -> Result<T, StoreError> {
        self.fetch_optional(on)
            .await?
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }
}

/// The values as one backend's arguments.
fn arguments<D>(values: Vec<Value<'_>>) -> Result<D::Arguments, StoreError>
where
    D: sqlx::Database,
    Option<Uuid>: for<'t> Encode<'t, D> + Type<D>,
    for<'t> Option<&'t str>: Encode<'t, D> + Type<D>,
    Option<i64>: for<'t> Encode<'t, D> + Type<D>,
    Option<bool>: for<'t> Encode<'t, D> + Type<D>,
    Option<DateTime<Utc>>: for<'t> Encode<'t, D> + Type<D>,
    for<'t> Option<&'t [u8]>: Encode<'t, D> + Type<D>,
{
    let mut arguments = D::Arguments::default();
    for value in &values {
        let added = match value {
            Value::Uuid(v) => arguments.add(*v),
            Value::Text(v) => arguments.add(v.as_deref()),
            Value::Int(v) => arguments.add(*v),
            Value::Bool(v) => arguments.add(*v),
            Value::Time(v) => arguments.add(*v),
            Value::Bytes(v) => arguments.add(v.as_deref()),
        };
        added.map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))?;
    }
    Ok(arguments)
}
