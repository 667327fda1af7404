//! [`SqlStore`], the one implementation of [`Store`](super::Store) and its sub-traits for both
//! databases, and the SQL of organizations, access tokens and idempotency keys.
//!
//! The statements use `$n` placeholders and types both drivers map the same way (UUIDs, timestamps,
//! text, integers, bytes), so the same text runs on SQLite and PostgreSQL (see `db.rs` for how a
//! statement reaches either). Each aggregate's SQL and its part of the store live in their own file
//! (`catalog_sql.rs`, `customers_sql.rs`, `billing_sql.rs`, `seats_sql.rs`, `emails_sql.rs`); where
//! the backends truly differ, [`Db`](super::db::Db) has a method for it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    AccessTokenRecord, Backend, IdempotencyClaim, IdempotencyHold, IdempotencyKey,
    IdempotencyRecord, NewAccessToken, NewEvent, NewOrganization, OrganizationRecord, Store,
    StoreError, StoredResponse,
    db::{Bind, Db, On, Query, Record, query, query_as, query_scalar},
    idempotency::IdempotencyRow,
    list_sql::ListSql,
};
use crate::model::Named;
use crate::{
    model::{OrganizationId, PageRequest},
    server::token::TokenHash,
};

/// The store over either database.
pub struct SqlStore {
    pub(super) db: Db,
    /// SQLite's validations waiting to be committed together (`key_validation.rs`).
    pub(super) validations: super::key_validation::ValidationQueue,
}

pub(super) const INSERT_ORGANIZATION: &str = "INSERT INTO organizations \
     (id, created_at, modified_at, name, slug, email, invitation_ttl_seconds, proration_behavior) \
     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7) \
     RETURNING id, created_at, modified_at, name, slug, email, invitation_ttl_seconds, proration_behavior, \
     past_due_grace_days, renewal_reminder_days";

pub(super) const SELECT_ORGANIZATION_BY_ID: &str = "SELECT id, created_at, modified_at, name, slug, email, \
     invitation_ttl_seconds, proration_behavior, past_due_grace_days, renewal_reminder_days FROM organizations WHERE id = $1";

pub(super) const SELECT_ORGANIZATION_BY_SLUG: &str = "SELECT id, created_at, modified_at, name, slug, email, \
     invitation_ttl_seconds, proration_behavior, past_due_grace_days, renewal_reminder_days FROM organizations WHERE slug = $1";

pub(super) const COUNT_ORGANIZATIONS: &str = "SELECT COUNT(*) FROM organizations";

/// `$1` id: the settings an organization may change.
pub(super) const UPDATE_ORGANIZATION: &str = "UPDATE organizations SET name = $2, email = $3, \
     proration_behavior = $4, modified_at = $5, past_due_grace_days = $6, renewal_reminder_days = $7 \
     WHERE id = $1";

pub(super) const INSERT_ACCESS_TOKEN: &str = "INSERT INTO access_tokens \
     (id, organization_id, token_hash, scopes, comment, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub(super) const SELECT_LIVE_ACCESS_TOKEN: &str = "SELECT id, organization_id, scopes, expires_at \
     FROM access_tokens \
     WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)";

/// `$1` scope, `$2` key, `$3` fingerprint, `$4` now, `$5` locked until: claims a free key.
pub(super) const CLAIM_IDEMPOTENCY_KEY: &str = "INSERT INTO idempotency_keys \
     (scope, idempotency_key, fingerprint, created_at, locked_until) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (scope, idempotency_key) DO NOTHING";

pub(super) const SELECT_IDEMPOTENCY_KEY: &str = "SELECT fingerprint, created_at, locked_until, status, \
     content_type, response FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2";

/// `$1` scope, `$2` key, `$3` fingerprint, `$4` now, `$5` locked until, `$6` expired before.
pub(super) const TAKE_OVER_IDEMPOTENCY_KEY: &str = "UPDATE idempotency_keys SET fingerprint = $3, created_at = $4, \
     locked_until = $5, status = NULL, content_type = NULL, response = NULL \
     WHERE scope = $1 AND idempotency_key = $2 \
     AND ((status IS NULL AND locked_until <= $4) OR created_at <= $6)";

/// `$1` scope, `$2` key, `$3` status, `$4` content type, `$5` sealed body.
pub(super) const COMPLETE_IDEMPOTENCY_KEY: &str = "UPDATE idempotency_keys SET status = $3, content_type = $4, \
     response = $5, locked_until = NULL WHERE scope = $1 AND idempotency_key = $2";

pub(super) const RELEASE_IDEMPOTENCY_KEY: &str =
    "DELETE FROM idempotency_keys WHERE scope = $1 AND idempotency_key = $2";

pub(super) const PURGE_IDEMPOTENCY_KEYS: &str =
    "DELETE FROM idempotency_keys WHERE created_at < $1";

/// `$1, $2, ...` up to `count`: the placeholders of an `IN (...)` list of `count` values.
pub(super) fn placeholders(count: usize) -> String {
    (1..=count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqlStore {
    pub(super) fn new(db: Db) -> Self {
        Self {
            db,
            validations: super::key_validation::ValidationQueue::default(),
        }
    }

    /// The record of the row `sql` finds with the binds `a` and `b`, if any.
    pub(super) async fn find_by<'a, Row, Rec>(
        &self,
        sql: &'static str,
        a: impl Bind<'a>,
        b: impl Bind<'a>,
    ) -> Result<Option<Rec>, StoreError>
    where
        Row: Record,
        Rec: TryFrom<Row>,
        StoreError: From<Rec::Error>,
    {
        let row: Option<Row> = query_as(sql)
            .bind(a)
            .bind(b)
            .fetch_optional(&self.db)
            .await?;
        Ok(row.map(Rec::try_from).transpose()?)
    }

    /// One page of a filtered list as records, and the number of rows the filter matches.
    pub(super) async fn run_list<Row, Rec>(
        &self,
        list: &ListSql,
        columns: &str,
        table: &str,
        page: PageRequest,
    ) -> Result<(Vec<Rec>, u64), StoreError>
    where
        Row: Record,
        Rec: TryFrom<Row>,
        StoreError: From<Rec::Error>,
    {
        let (rows, total) = self
            .run_list_rows::<Row>(list, columns, table, page)
            .await?;
        let records = rows
            .into_iter()
            .map(Rec::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((records, total))
    }

    /// One page of a filtered list as rows, and the number of rows the filter matches.
    pub(super) async fn run_list_rows<Row: Record>(
        &self,
        list: &ListSql,
        columns: &str,
        table: &str,
        page: PageRequest,
    ) -> Result<(Vec<Row>, u64), StoreError> {
        let (sql, binds) = list.page(columns, table, page);
        let mut rows = query_as::<Row>(sqlx::AssertSqlSafe(sql));
        for bound in binds {
            rows = rows.bind(bound);
        }
        let rows = rows.fetch_all(&self.db).await?;
        let (sql, binds) = list.count(table);
        let mut count = query_scalar::<i64>(sqlx::AssertSqlSafe(sql));
        for bound in binds {
            count = count.bind(bound);
        }
        let total = count.fetch_one(&self.db).await?;
        Ok((rows, u64::try_from(total).unwrap_or_default()))
    }

    async fn insert_access_token_with(
        executor: impl Into<On<'_>>,
        token: &NewAccessToken,
    ) -> Result<(), StoreError> {
        query(INSERT_ACCESS_TOKEN)
            .bind(token.id)
            .bind(token.organization_id)
            .bind(token.hash.as_bytes())
            .bind(token.scopes.to_string())
            .bind(&token.comment)
            .bind(token.created_at)
            .bind(token.expires_at)
            .execute(executor)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.db.backend()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.db.migrate().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        query("SELECT 1").execute(&self.db).await?;
        Ok(())
    }

    async fn close(&self) {
        self.db.close().await;
    }

    async fn create_organization(
        &self,
        organization: &NewOrganization,
        token: &NewAccessToken,
    ) -> Result<OrganizationRecord, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let organization: OrganizationRecord = query_as(INSERT_ORGANIZATION)
            .bind(organization.id)
            .bind(organization.created_at)
            .bind(&organization.name)
            .bind(organization.slug.as_str())
            .bind(organization.email.as_deref())
            .bind(organization.invitation_ttl_seconds)
            .bind(organization.proration_behavior.as_str())
            .fetch_one(&mut tx)
            .await?;
        Self::insert_access_token_with(&mut tx, token).await?;
        tx.commit().await?;
        Ok(organization)
    }

    async fn insert_access_token(&self, token: &NewAccessToken) -> Result<(), StoreError> {
        Self::insert_access_token_with(&self.db.writer().await?, token).await
    }

    async fn organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        Ok(query_as(SELECT_ORGANIZATION_BY_ID)
            .bind(id)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn update_organization(
        &self,
        organization: &OrganizationRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin_write().await?;
        query(UPDATE_ORGANIZATION)
            .bind(organization.id)
            .bind(organization.name.as_str())
            .bind(organization.email.as_deref())
            .bind(organization.proration_behavior.as_str())
            .bind(organization.modified_at)
            .bind(organization.past_due_grace_days)
            .bind(organization.renewal_reminder_days)
            .execute(&mut tx)
            .await?;
        Self::commit_with_events(tx, events).await
    }

    async fn organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        Ok(query_as(SELECT_ORGANIZATION_BY_SLUG)
            .bind(slug)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn count_organizations(&self) -> Result<u64, StoreError> {
        let count: i64 = query_scalar(COUNT_ORGANIZATIONS)
            .fetch_one(&self.db)
            .await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    async fn access_token_by_hash(
        &self,
        hash: &TokenHash,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessTokenRecord>, StoreError> {
        Ok(query_as(SELECT_LIVE_ACCESS_TOKEN)
            .bind(hash.as_bytes())
            .bind(now)
            .fetch_optional(&self.db)
            .await?)
    }

    async fn claim_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        hold: IdempotencyHold<'_>,
    ) -> Result<IdempotencyClaim, StoreError> {
        let claimed = held(CLAIM_IDEMPOTENCY_KEY, key, hold)
            .execute(&self.db.writer().await?)
            .await?;
        if claimed.rows_affected() == 1 {
            return Ok(IdempotencyClaim::Claimed);
        }
        // Taken by another request; a release between the insert and this read leaves none.
        match self.idempotency_key(key).await? {
            Some(record) => Ok(IdempotencyClaim::Taken(record)),
            None => Err(StoreError::Stale(
                "the idempotency key was released meanwhile",
            )),
        }
    }

    async fn take_over_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        hold: IdempotencyHold<'_>,
        expired_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let taken = held(TAKE_OVER_IDEMPOTENCY_KEY, key, hold)
            .bind(expired_before)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(taken.rows_affected() == 1)
    }

    async fn idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row: Option<IdempotencyRow> = query_as(SELECT_IDEMPOTENCY_KEY)
            .bind(key.scope)
            .bind(key.key)
            .fetch_optional(&self.db)
            .await?;
        row.map(TryInto::try_into).transpose()
    }

    async fn complete_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        query(COMPLETE_IDEMPOTENCY_KEY)
            .bind(key.scope)
            .bind(key.key)
            .bind(i64::from(response.status))
            .bind(response.content_type.as_deref())
            .bind(&response.sealed_body)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(())
    }

    async fn release_idempotency_key(&self, key: IdempotencyKey<'_>) -> Result<(), StoreError> {
        query(RELEASE_IDEMPOTENCY_KEY)
            .bind(key.scope)
            .bind(key.key)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let purged = query(PURGE_IDEMPOTENCY_KEYS)
            .bind(before)
            .execute(&self.db.writer().await?)
            .await?;
        Ok(purged.rows_affected())
    }
}

/// `sql` with its first five placeholders bound to a key and a request's hold on it.
fn held<'q>(sql: &'static str, key: IdempotencyKey<'q>, hold: IdempotencyHold<'q>) -> Query<'q> {
    query(sql)
        .bind(key.scope)
        .bind(key.key)
        .bind(hold.fingerprint)
        .bind(hold.now)
        .bind(hold.locked_until)
}
