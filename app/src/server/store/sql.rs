//! The SQL both backends run, and the one implementation of [`Store`](super::Store) they share.
//!
//! The statements use `$n` placeholders and types both drivers map the same way (UUIDs, timestamps,
//! text, integers, bytes), so the same text runs on SQLite and PostgreSQL. Where the dialects truly
//! differ (how a writing transaction begins), the backend passes its own piece to [`sql_store!`].

pub(super) const INSERT_ORGANIZATION: &str = "INSERT INTO organizations \
     (id, created_at, modified_at, name, slug, email, invitation_ttl_seconds, proration_behavior) \
     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7) \
     RETURNING id, created_at, modified_at, name, slug, email, invitation_ttl_seconds, proration_behavior";

pub(super) const SELECT_ORGANIZATION_BY_ID: &str = "SELECT id, created_at, modified_at, name, slug, email, \
     invitation_ttl_seconds, proration_behavior FROM organizations WHERE id = $1";

pub(super) const SELECT_ORGANIZATION_BY_SLUG: &str = "SELECT id, created_at, modified_at, name, slug, email, \
     invitation_ttl_seconds, proration_behavior FROM organizations WHERE slug = $1";

pub(super) const COUNT_ORGANIZATIONS: &str = "SELECT COUNT(*) FROM organizations";

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

/// Implements [`Store`](super::Store) for a store type with a `pool: sqlx::Pool<$db>` field.
///
/// - `$db`: the sqlx database type;
/// - `$backend`: the [`Backend`](super::Backend) value;
/// - `$migrator`: the embedded migrations of this backend;
/// - `$begin_write`: the statement that opens a writing transaction (SQLite takes its write lock up
///   front with `BEGIN IMMEDIATE`, so a read-then-write transaction cannot deadlock).
macro_rules! sql_store {
    ($store:ident, $db:ty, $backend:expr, $migrator:expr, $begin_write:literal) => {
        impl $store {
            /// The record of the row `sql` finds with the binds `a` and `b`, if any.
            async fn find_by<Row, Rec, A, B>(
                &self,
                sql: &'static str,
                a: A,
                b: B,
            ) -> Result<Option<Rec>, $crate::server::store::StoreError>
            where
                Row: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                Rec: TryFrom<Row, Error = $crate::server::store::StoreError>,
                A: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Send,
                B: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Send,
            {
                let row: Option<Row> = sqlx::query_as(sql).bind(a).bind(b).fetch_optional(&self.pool).await?;
                row.map(Rec::try_from).transpose()
            }

            /// One page of a filtered list as records, and the number of rows the filter matches.
            async fn run_list<Row, Rec>(
                &self,
                list: &$crate::server::store::list_sql::ListSql,
                columns: &str,
                table: &str,
                page: $crate::model::PageRequest,
            ) -> Result<(Vec<Rec>, u64), $crate::server::store::StoreError>
            where
                Row: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                Rec: TryFrom<Row, Error = $crate::server::store::StoreError>,
            {
                let (rows, total) = self.run_list_rows::<Row>(list, columns, table, page).await?;
                let records = rows.into_iter().map(Rec::try_from).collect::<Result<Vec<_>, _>>()?;
                Ok((records, total))
            }

            /// One page of a filtered list as rows, and the number of rows the filter matches.
            async fn run_list_rows<Row>(
                &self,
                list: &$crate::server::store::list_sql::ListSql,
                columns: &str,
                table: &str,
                page: $crate::model::PageRequest,
            ) -> Result<(Vec<Row>, u64), $crate::server::store::StoreError>
            where
                Row: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                use $crate::server::store::list_sql::Bound;
                let (sql, binds) = list.page(columns, table, page);
                let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
                for bound in binds {
                    query = match bound {
                        Bound::Uuid(v) => query.bind(v),
                        Bound::Text(v) => query.bind(v),
                        Bound::Bool(v) => query.bind(v),
                        Bound::Time(v) => query.bind(v),
                        Bound::Int(v) => query.bind(v),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                let (sql, binds) = list.count(table);
                let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
                for bound in binds {
                    count = match bound {
                        Bound::Uuid(v) => count.bind(v),
                        Bound::Text(v) => count.bind(v),
                        Bound::Bool(v) => count.bind(v),
                        Bound::Time(v) => count.bind(v),
                        Bound::Int(v) => count.bind(v),
                    };
                }
                let total = count.fetch_one(&self.pool).await?;
                Ok((rows, u64::try_from(total).unwrap_or_default()))
            }

            async fn insert_access_token_with<'e, E>(
                executor: E,
                token: &$crate::server::store::NewAccessToken,
            ) -> Result<(), $crate::server::store::StoreError>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                sqlx::query($crate::server::store::sql::INSERT_ACCESS_TOKEN)
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

        #[async_trait::async_trait]
        impl $crate::server::store::Store for $store {
            fn backend(&self) -> $crate::server::store::Backend {
                $backend
            }

            async fn migrate(&self) -> Result<(), $crate::server::store::StoreError> {
                $migrator.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn create_organization(
                &self,
                organization: &$crate::server::store::NewOrganization,
                token: &$crate::server::store::NewAccessToken,
            ) -> Result<$crate::server::store::OrganizationRecord, $crate::server::store::StoreError> {
                use $crate::server::store::{records::OrganizationRow, sql};
                let mut tx = self.pool.begin_with($begin_write).await?;
                let row: OrganizationRow = sqlx::query_as(sql::INSERT_ORGANIZATION)
                    .bind(organization.id)
                    .bind(organization.created_at)
                    .bind(&organization.name)
                    .bind(organization.slug.as_str())
                    .bind(organization.email.as_deref())
                    .bind(organization.invitation_ttl_seconds)
                    .bind(organization.proration_behavior.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                Self::insert_access_token_with(&mut *tx, token).await?;
                tx.commit().await?;
                row.try_into()
            }

            async fn insert_access_token(
                &self,
                token: &$crate::server::store::NewAccessToken,
            ) -> Result<(), $crate::server::store::StoreError> {
                Self::insert_access_token_with(&self.pool, token).await
            }

            async fn organization(
                &self,
                id: $crate::model::OrganizationId,
            ) -> Result<Option<$crate::server::store::OrganizationRecord>, $crate::server::store::StoreError>
            {
                use $crate::server::store::{records::OrganizationRow, sql};
                let row: Option<OrganizationRow> = sqlx::query_as(sql::SELECT_ORGANIZATION_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn organization_by_slug(
                &self,
                slug: &str,
            ) -> Result<Option<$crate::server::store::OrganizationRecord>, $crate::server::store::StoreError>
            {
                use $crate::server::store::{records::OrganizationRow, sql};
                let row: Option<OrganizationRow> = sqlx::query_as(sql::SELECT_ORGANIZATION_BY_SLUG)
                    .bind(slug)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn count_organizations(&self) -> Result<u64, $crate::server::store::StoreError> {
                let count: i64 = sqlx::query_scalar($crate::server::store::sql::COUNT_ORGANIZATIONS)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(count).unwrap_or_default())
            }

            async fn access_token_by_hash(
                &self,
                hash: &$crate::server::token::TokenHash,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::server::store::AccessTokenRecord>, $crate::server::store::StoreError>
            {
                use $crate::server::store::{records::AccessTokenRow, sql};
                let row: Option<AccessTokenRow> = sqlx::query_as(sql::SELECT_LIVE_ACCESS_TOKEN)
                    .bind(hash.as_bytes())
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn claim_idempotency_key(
                &self,
                scope: &[u8],
                key: &str,
                fingerprint: &[u8],
                now: chrono::DateTime<chrono::Utc>,
                locked_until: chrono::DateTime<chrono::Utc>,
            ) -> Result<$crate::server::store::IdempotencyClaim, $crate::server::store::StoreError> {
                use $crate::server::store::{IdempotencyClaim, StoreError, sql};
                let claimed = sqlx::query(sql::CLAIM_IDEMPOTENCY_KEY)
                    .bind(scope)
                    .bind(key)
                    .bind(fingerprint)
                    .bind(now)
                    .bind(locked_until)
                    .execute(&self.pool)
                    .await?;
                if claimed.rows_affected() == 1 {
                    return Ok(IdempotencyClaim::Claimed);
                }
                // Taken by another request; a release between the insert and this read leaves none.
                match self.idempotency_key(scope, key).await? {
                    Some(record) => Ok(IdempotencyClaim::Taken(record)),
                    None => Err(StoreError::Stale("the idempotency key was released meanwhile")),
                }
            }

            async fn take_over_idempotency_key(
                &self,
                scope: &[u8],
                key: &str,
                fingerprint: &[u8],
                now: chrono::DateTime<chrono::Utc>,
                locked_until: chrono::DateTime<chrono::Utc>,
                expired_before: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, $crate::server::store::StoreError> {
                let taken = sqlx::query($crate::server::store::sql::TAKE_OVER_IDEMPOTENCY_KEY)
                    .bind(scope)
                    .bind(key)
                    .bind(fingerprint)
                    .bind(now)
                    .bind(locked_until)
                    .bind(expired_before)
                    .execute(&self.pool)
                    .await?;
                Ok(taken.rows_affected() == 1)
            }

            async fn idempotency_key(
                &self,
                scope: &[u8],
                key: &str,
            ) -> Result<Option<$crate::server::store::IdempotencyRecord>, $crate::server::store::StoreError> {
                use $crate::server::store::{idempotency::IdempotencyRow, sql};
                let row: Option<IdempotencyRow> = sqlx::query_as(sql::SELECT_IDEMPOTENCY_KEY)
                    .bind(scope)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn complete_idempotency_key(
                &self,
                scope: &[u8],
                key: &str,
                response: &$crate::server::store::StoredResponse,
            ) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query($crate::server::store::sql::COMPLETE_IDEMPOTENCY_KEY)
                    .bind(scope)
                    .bind(key)
                    .bind(i64::from(response.status))
                    .bind(response.content_type.as_deref())
                    .bind(&response.sealed_body)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn release_idempotency_key(
                &self,
                scope: &[u8],
                key: &str,
            ) -> Result<(), $crate::server::store::StoreError> {
                sqlx::query($crate::server::store::sql::RELEASE_IDEMPOTENCY_KEY)
                    .bind(scope)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn purge_idempotency_keys(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::server::store::StoreError> {
                let purged = sqlx::query($crate::server::store::sql::PURGE_IDEMPOTENCY_KEYS)
                    .bind(before)
                    .execute(&self.pool)
                    .await?;
                Ok(purged.rows_affected())
            }
        }
    };
}

pub(super) use sql_store;
