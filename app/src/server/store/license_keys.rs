//! License keys and their activations: records, their rows and SQL, and
//! [`LicenseKeyStore`](super::LicenseKeyStore).
//!
//! A key is inserted with the grant that gives it (`seat_writes_sql.rs` binds [`INSERT_LICENSE_KEY`]
//! wherever a grant is inserted) and revoked with it. The rules that must hold under concurrency
//! are single guarded updates: an activation takes a place only while `activations <
//! limit_activations`, a validation adds usage only within `limit_usage`, and both only while the
//! key is granted and unexpired; the service reads the key first to say *why* one was refused.
//! A validation's read and count are in `key_validation.rs`.

use chrono::{DateTime, Utc};
use const_format::concatcp;

use super::{
    SqlStore, StoreError,
    catalog::to_json,
    db::{On, Query, query, query_as},
    sql::placeholders,
};
use crate::model::{
    BenefitGrantId, BenefitId, CustomerId, LicenseKeyActivationId, LicenseKeyId, MemberId,
    OrganizationId, PageRequest, license_key::LicenseKeyStatus, metadata::Metadata,
};

/// A license key as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct LicenseKeyRecord {
    pub id: LicenseKeyId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    /// The grant that gave it (one key per grant).
    pub grant_id: BenefitGrantId,
    pub benefit_id: BenefitId,
    /// The customer paying for the seat.
    pub customer_id: CustomerId,
    /// The member holding the seat.
    pub member_id: MemberId,
    pub key: String,
    pub status: LicenseKeyStatus,
    pub limit_activations: Option<u32>,
    /// Live activations.
    pub activations: u32,
    pub usage: u32,
    pub limit_usage: Option<u32>,
    pub validations: u32,
    pub last_validated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One activation of a key.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationRecord {
    pub id: LicenseKeyActivationId,
    pub license_key_id: LicenseKeyId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub label: String,
    pub conditions: Metadata,
    pub meta: Metadata,
}

/// What a merchant's change of a key sets; `None` leaves a field as it is (`Some(None)` clears a
/// limit or the expiry).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LicenseKeyChange {
    pub status: Option<LicenseKeyStatus>,
    pub usage: Option<u32>,
    pub limit_activations: Option<Option<u32>>,
    pub limit_usage: Option<Option<u32>>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// What a change of a license-key benefit makes of the keys it gave (as Polar, a benefit's limits
/// and expiry are re-applied to its keys that are not revoked).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyTermsChange {
    pub limit_activations: Option<u32>,
    pub limit_usage: Option<u32>,
    /// Each one-time order's key and its new expiry (a subscription's key has none).
    pub expiries: Vec<(LicenseKeyId, Option<DateTime<Utc>>)>,
}

#[derive(sqlx::FromRow)]
pub(super) struct LicenseKeyRow {
    id: LicenseKeyId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    grant_id: BenefitGrantId,
    benefit_id: BenefitId,
    customer_id: CustomerId,
    member_id: MemberId,
    key: String,
    status: String,
    limit_activations: Option<i64>,
    activations: i64,
    usage: i64,
    limit_usage: Option<i64>,
    validations: i64,
    last_validated_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
}

/// A stored count as the API's unsigned one (the columns' checks keep them in range).
fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl TryFrom<LicenseKeyRow> for LicenseKeyRecord {
    type Error = StoreError;

    fn try_from(row: LicenseKeyRow) -> Result<Self, StoreError> {
        Ok(Self {
            status: LicenseKeyStatus::parse(&row.status).ok_or_else(|| {
                StoreError::Corrupt(format!("license key status {:?}", row.status))
            })?,
            id: row.id,
            organization_id: row.organization_id,
            created_at: row.created_at,
            modified_at: row.modified_at,
            grant_id: row.grant_id,
            benefit_id: row.benefit_id,
            customer_id: row.customer_id,
            member_id: row.member_id,
            key: row.key,
            limit_activations: row.limit_activations.map(count),
            activations: count(row.activations),
            usage: count(row.usage),
            limit_usage: row.limit_usage.map(count),
            validations: count(row.validations),
            last_validated_at: row.last_validated_at,
            expires_at: row.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ActivationRow {
    id: LicenseKeyActivationId,
    license_key_id: LicenseKeyId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    label: String,
    conditions: String,
    meta: String,
}

impl TryFrom<ActivationRow> for ActivationRecord {
    type Error = StoreError;

    fn try_from(row: ActivationRow) -> Result<Self, StoreError> {
        let json = |text: String, what: &str| {
            Metadata::try_from(text)
                .map_err(|e| StoreError::Corrupt(format!("license key activation {what}: {e}")))
        };
        Ok(Self {
            id: row.id,
            license_key_id: row.license_key_id,
            created_at: row.created_at,
            modified_at: row.modified_at,
            label: row.label,
            conditions: json(row.conditions, "conditions")?,
            meta: json(row.meta, "meta")?,
        })
    }
}

pub(super) const LICENSE_KEY_COLUMNS: &str = "id, organization_id, created_at, modified_at, grant_id, benefit_id, customer_id, member_id, \
     key, status, limit_activations, activations, usage, limit_usage, validations, last_validated_at, expires_at";

pub(super) const INSERT_LICENSE_KEY: &str = concatcp!(
    "INSERT INTO license_keys (",
    LICENSE_KEY_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
);

const SELECT_LICENSE_KEY: &str = concatcp!(
    "SELECT ",
    LICENSE_KEY_COLUMNS,
    " FROM license_keys WHERE id = $1 AND organization_id = $2"
);

const SELECT_LICENSE_KEY_BY_KEY: &str = concatcp!(
    "SELECT ",
    LICENSE_KEY_COLUMNS,
    " FROM license_keys WHERE organization_id = $1 AND key = $2"
);

const ACTIVATION_COLUMNS: &str =
    "id, license_key_id, created_at, modified_at, label, conditions, meta";

const INSERT_ACTIVATION: &str = concatcp!(
    "INSERT INTO license_key_activations (",
    ACTIVATION_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
);

const ACTIVATIONS_OF_KEY: &str = concatcp!(
    "SELECT ",
    ACTIVATION_COLUMNS,
    " FROM license_key_activations WHERE license_key_id = $1 ORDER BY created_at, id"
);

const SELECT_ACTIVATION: &str = concatcp!(
    "SELECT ",
    ACTIVATION_COLUMNS,
    " FROM license_key_activations WHERE id = $1 AND license_key_id = $2"
);

/// `$1` key, `$2` now: takes a place for an activation, only while the key is granted, unexpired,
/// allows activations and has a free place. Concurrent activations serialise on the row.
const TAKE_ACTIVATION: &str = concatcp!(
    "UPDATE license_keys SET activations = activations + 1, modified_at = $2 \
     WHERE id = $1 AND status = 'granted' AND (expires_at IS NULL OR expires_at > $2) \
     AND limit_activations IS NOT NULL AND activations < limit_activations RETURNING ",
    LICENSE_KEY_COLUMNS
);

const DELETE_ACTIVATION: &str =
    "DELETE FROM license_key_activations WHERE id = $1 AND license_key_id = $2";

/// `$1` key, `$2` now, `$3` activation: frees a place, taking the key's row first (the order a
/// revocation takes too, so the two never wait for each other crosswise); nothing when the key has
/// no live activation left (a revocation took them all meanwhile).
const FREE_ACTIVATION: &str = "UPDATE license_keys SET activations = activations - 1, modified_at = $2 \
     WHERE id = $1 AND activations > 0 \
     AND EXISTS (SELECT 1 FROM license_key_activations WHERE id = $3 AND license_key_id = $1)";

/// `$1` key, `$2` organization, `$3` now; then status, usage, whether the activation limit changes
/// and its value, the same for the usage limit and for the expiry (a null leaves a field as it is).
/// A revoked key stays revoked (checked on the row itself, so a revocation committed meanwhile is
/// seen); revoking one also ends its activations' count (their rows go in the same transaction).
const UPDATE_LICENSE_KEY: &str = "UPDATE license_keys SET modified_at = $3, status = COALESCE($4, status), \
     usage = COALESCE($5, usage), \
     limit_activations = CASE WHEN $6 THEN $7 ELSE limit_activations END, \
     limit_usage = CASE WHEN $8 THEN $9 ELSE limit_usage END, \
     expires_at = CASE WHEN $10 THEN $11 ELSE expires_at END, \
     activations = CASE WHEN $4 = 'revoked' THEN 0 ELSE activations END \
     WHERE id = $1 AND organization_id = $2 AND (status <> 'revoked' OR $4 IS NULL OR $4 = 'revoked')";

const DELETE_ACTIVATIONS_OF_KEY: &str =
    "DELETE FROM license_key_activations WHERE license_key_id = $1";

/// `$1` seat, `$2` now: the keys of the seat's grants are revoked and lose their activations.
pub(super) const DELETE_ACTIVATIONS_OF_SEAT: &str = "DELETE FROM license_key_activations WHERE license_key_id IN \
     (SELECT k.id FROM license_keys k JOIN benefit_grants g ON g.id = k.grant_id WHERE g.seat_id = $1)";
pub(super) const REVOKE_LICENSE_KEYS_OF_SEAT: &str = "UPDATE license_keys SET status = 'revoked', activations = 0, modified_at = $2 \
     WHERE grant_id IN (SELECT id FROM benefit_grants WHERE seat_id = $1)";

/// `$1` benefit, `$2` limit of activations, `$3` limit of usage, `$4` now.
pub(super) const APPLY_BENEFIT_LIMITS: &str = "UPDATE license_keys SET limit_activations = $2, \
     limit_usage = $3, modified_at = $4 WHERE benefit_id = $1 AND status <> 'revoked'";

/// `$1` key, `$2` expiry, `$3` now.
pub(super) const SET_KEY_EXPIRY: &str = "UPDATE license_keys SET expires_at = $2, modified_at = $3 WHERE id = $1 AND status <> 'revoked'";

/// `$1` benefit: the keys of one-time orders it gave that are not revoked, with when each was
/// granted.
const ORDER_KEYS_OF_BENEFIT: &str = "SELECT k.id, k.created_at FROM license_keys k \
     JOIN benefit_grants g ON g.id = k.grant_id \
     WHERE k.benefit_id = $1 AND k.status <> 'revoked' AND g.order_id IS NOT NULL";

#[derive(sqlx::FromRow)]
struct GrantedKeyRow {
    id: LicenseKeyId,
    created_at: DateTime<Utc>,
}

/// A stored count from the API's.
fn stored(value: u32) -> i64 {
    i64::from(value)
}

impl SqlStore {
    /// Re-applies a benefit's terms to its keys, in the benefit's update.
    pub(super) async fn apply_key_terms_with(
        tx: &mut super::db::Tx,
        benefit: BenefitId,
        terms: &KeyTermsChange,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        query(APPLY_BENEFIT_LIMITS)
            .bind(benefit)
            .bind(terms.limit_activations.map(stored))
            .bind(terms.limit_usage.map(stored))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        for (key, expires_at) in &terms.expiries {
            query(SET_KEY_EXPIRY)
                .bind(*key)
                .bind(*expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }

    /// Binds the parameters of [`INSERT_LICENSE_KEY`] onto `query`.
    pub(super) fn bind_license_key<'q>(query: Query<'q>, key: &'q LicenseKeyRecord) -> Query<'q> {
        query
            .bind(key.id)
            .bind(key.organization_id)
            .bind(key.created_at)
            .bind(key.modified_at)
            .bind(key.grant_id)
            .bind(key.benefit_id)
            .bind(key.customer_id)
            .bind(key.member_id)
            .bind(key.key.as_str())
            .bind(key.status.as_str())
            .bind(key.limit_activations.map(stored))
            .bind(stored(key.activations))
            .bind(stored(key.usage))
            .bind(key.limit_usage.map(stored))
            .bind(stored(key.validations))
            .bind(key.last_validated_at)
            .bind(key.expires_at)
    }

    pub(super) async fn insert_license_key_with(
        executor: impl Into<On<'_>>,
        key: &LicenseKeyRecord,
    ) -> Result<(), StoreError> {
        Self::bind_license_key(query(INSERT_LICENSE_KEY), key)
            .execute(executor)
            .await?;
        Ok(())
    }

    pub(super) async fn license_key_impl(
        &self,
        organization_id: OrganizationId,
        id: LicenseKeyId,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        query_as::<LicenseKeyRow>(SELECT_LICENSE_KEY)
            .bind(id)
            .bind(organization_id)
            .fetch_optional(&self.db)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    pub(super) async fn license_key_by_key_impl(
        &self,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        query_as::<LicenseKeyRow>(SELECT_LICENSE_KEY_BY_KEY)
            .bind(organization_id)
            .bind(key)
            .fetch_optional(&self.db)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    pub(super) async fn list_license_keys_impl(
        &self,
        organization_id: OrganizationId,
        filter: &super::LicenseKeyFilter,
        page: PageRequest,
    ) -> Result<(Vec<LicenseKeyRecord>, u64), StoreError> {
        self.run_list::<LicenseKeyRow, _>(
            &filter.sql(organization_id),
            LICENSE_KEY_COLUMNS,
            "license_keys",
            page,
        )
        .await
    }

    /// The license keys of `grants` (any order; grants without a key have none).
    pub(super) async fn license_keys_of_grants_impl(
        &self,
        grants: &[BenefitGrantId],
    ) -> Result<Vec<LicenseKeyRecord>, StoreError> {
        if grants.is_empty() {
            return Ok(Vec::new());
        }
        // Only placeholders are added to the constant text: no value enters it.
        let sql = format!(
            "SELECT {LICENSE_KEY_COLUMNS} FROM license_keys WHERE grant_id IN ({})",
            placeholders(grants.len())
        );
        let mut statement = query_as::<LicenseKeyRow>(sqlx::AssertSqlSafe(sql));
        for grant in grants {
            statement = statement.bind(*grant);
        }
        statement
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    pub(super) async fn activations_of_impl(
        &self,
        key: LicenseKeyId,
    ) -> Result<Vec<ActivationRecord>, StoreError> {
        query_as::<ActivationRow>(ACTIVATIONS_OF_KEY)
            .bind(key)
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    pub(super) async fn activation_impl(
        &self,
        key: LicenseKeyId,
        id: LicenseKeyActivationId,
    ) -> Result<Option<ActivationRecord>, StoreError> {
        query_as::<ActivationRow>(SELECT_ACTIVATION)
            .bind(id)
            .bind(key)
            .fetch_optional(&self.db)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    pub(super) async fn activate_license_key_impl(
        &self,
        activation: &ActivationRecord,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let Some(key) = query_as::<LicenseKeyRow>(TAKE_ACTIVATION)
            .bind(activation.license_key_id)
            .bind(activation.created_at)
            .fetch_optional(&mut tx)
            .await?
        else {
            return Ok(None);
        };
        query(INSERT_ACTIVATION)
            .bind(activation.id)
            .bind(activation.license_key_id)
            .bind(activation.created_at)
            .bind(activation.modified_at)
            .bind(activation.label.as_str())
            .bind(to_json(&activation.conditions)?)
            .bind(to_json(&activation.meta)?)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(key.try_into()?))
    }

    pub(super) async fn deactivate_license_key_impl(
        &self,
        key: LicenseKeyId,
        activation: LicenseKeyActivationId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let freed = query(FREE_ACTIVATION)
            .bind(key)
            .bind(now)
            .bind(activation)
            .execute(&mut tx)
            .await?;
        if freed.rows_affected() != 1 {
            return Ok(false);
        }
        let deleted = query(DELETE_ACTIVATION)
            .bind(activation)
            .bind(key)
            .execute(&mut tx)
            .await?;
        if deleted.rows_affected() != 1 {
            // Another deactivation of it won meanwhile: undo this one's count (rolled back).
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(super) async fn update_license_key_impl(
        &self,
        organization_id: OrganizationId,
        id: LicenseKeyId,
        change: &LicenseKeyChange,
        now: DateTime<Utc>,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        let mut tx = self.db.begin_write().await?;
        let done = query(UPDATE_LICENSE_KEY)
            .bind(id)
            .bind(organization_id)
            .bind(now)
            .bind(change.status.map(LicenseKeyStatus::as_str))
            .bind(change.usage.map(stored))
            .bind(change.limit_activations.is_some())
            .bind(change.limit_activations.flatten().map(stored))
            .bind(change.limit_usage.is_some())
            .bind(change.limit_usage.flatten().map(stored))
            .bind(change.expires_at.is_some())
            .bind(change.expires_at.flatten())
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if change.status == Some(LicenseKeyStatus::Revoked) {
            query(DELETE_ACTIVATIONS_OF_KEY)
                .bind(id)
                .execute(&mut tx)
                .await?;
        }
        let key = query_as::<LicenseKeyRow>(SELECT_LICENSE_KEY)
            .bind(id)
            .bind(organization_id)
            .fetch_optional(&mut tx)
            .await?
            .map(TryInto::try_into)
            .transpose()?;
        tx.commit().await?;
        Ok(key)
    }
}

#[async_trait::async_trait]
impl super::LicenseKeyStore for SqlStore {
    async fn order_keys_of_benefit(
        &self,
        benefit: BenefitId,
    ) -> Result<Vec<(LicenseKeyId, DateTime<Utc>)>, StoreError> {
        Ok(query_as::<GrantedKeyRow>(ORDER_KEYS_OF_BENEFIT)
            .bind(benefit)
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row.created_at))
            .collect())
    }

    async fn license_key(
        &self,
        organization_id: OrganizationId,
        id: LicenseKeyId,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        self.license_key_impl(organization_id, id).await
    }

    async fn license_key_by_key(
        &self,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        self.license_key_by_key_impl(organization_id, key).await
    }

    async fn held_license_key_by_key(
        &self,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<Option<super::HeldLicenseKey>, StoreError> {
        self.held_license_key_by_key_impl(organization_id, key)
            .await
    }

    async fn list_license_keys(
        &self,
        organization_id: OrganizationId,
        filter: &super::LicenseKeyFilter,
        page: PageRequest,
    ) -> Result<(Vec<LicenseKeyRecord>, u64), StoreError> {
        self.list_license_keys_impl(organization_id, filter, page)
            .await
    }

    async fn license_keys_of_grants(
        &self,
        grants: &[BenefitGrantId],
    ) -> Result<Vec<LicenseKeyRecord>, StoreError> {
        self.license_keys_of_grants_impl(grants).await
    }

    async fn activations_of(&self, key: LicenseKeyId) -> Result<Vec<ActivationRecord>, StoreError> {
        self.activations_of_impl(key).await
    }

    async fn activation(
        &self,
        key: LicenseKeyId,
        id: LicenseKeyActivationId,
    ) -> Result<Option<ActivationRecord>, StoreError> {
        self.activation_impl(key, id).await
    }

    async fn activate_license_key(
        &self,
        activation: &ActivationRecord,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        self.activate_license_key_impl(activation).await
    }

    async fn deactivate_license_key(
        &self,
        key: LicenseKeyId,
        activation: LicenseKeyActivationId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.deactivate_license_key_impl(key, activation, now).await
    }

    async fn validate_license_key(
        &self,
        key: LicenseKeyId,
        increment_usage: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        self.validate_license_key_impl(key, increment_usage, now)
            .await
    }

    async fn update_license_key(
        &self,
        organization_id: OrganizationId,
        id: LicenseKeyId,
        change: &LicenseKeyChange,
        now: DateTime<Utc>,
    ) -> Result<Option<LicenseKeyRecord>, StoreError> {
        self.update_license_key_impl(organization_id, id, change, now)
            .await
    }
}
