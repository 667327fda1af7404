//! What a customer's state is read from, the changes that still owe a `customer.state_changed`
//! event, and the keys that sign offline license certificates: records, SQL and
//! [`EntitlementStore`](super::EntitlementStore).
//!
//! A state is three reads whatever the number of grants (subscriptions, grants, the grants'
//! benefits). A state change is recorded by the webhook dispatcher (see `webhook_outbox.rs`) and
//! cleared here, in the transaction that writes its event, only if no newer change came meanwhile.

use chrono::{DateTime, Utc};
use const_format::concatcp;
use uuid::Uuid;

use super::{
    BenefitRecord, GrantRecord, NewEvent, SqlStore, StoreError, SubscriptionRecord,
    billing_sql::SUBSCRIPTION_READ_COLUMNS,
    catalog::BenefitRow,
    catalog_sql::BENEFIT_COLUMNS,
    db::{On, query, query_as},
    seats::GrantRow,
    seats_sql::GRANT_COLUMNS,
};
use crate::model::{CustomerId, OrganizationId};

/// Everything a customer's state is made of.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerStateRecords {
    /// `active` or `trialing`, oldest first.
    pub subscriptions: Vec<SubscriptionRecord>,
    /// Not revoked, oldest first.
    pub grants: Vec<GrantRecord>,
    /// The benefits of those grants.
    pub benefits: Vec<BenefitRecord>,
}

/// A customer whose state changed since its last `customer.state_changed` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub organization_id: OrganizationId,
    pub customer_id: CustomerId,
    /// Grows with every change; the event clears only the version it was computed for.
    pub version: i64,
}

/// An organization's Ed25519 key pair for license certificates.
#[derive(Clone, Debug, PartialEq)]
pub struct SigningKeyRecord {
    pub id: Uuid,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    /// PKCS#8 document of the key pair.
    pub private_key: Vec<u8>,
    /// The raw 32-byte public key.
    pub public_key: Vec<u8>,
    pub retired_at: Option<DateTime<Utc>>,
}

const ACTIVE_SUBSCRIPTIONS_OF_CUSTOMER: &str = concatcp!(
    "SELECT ",
    SUBSCRIPTION_READ_COLUMNS,
    " FROM subscriptions WHERE organization_id = $1 AND customer_id = $2 \
     AND status IN ('active', 'trialing') ORDER BY created_at, id"
);

const LIVE_GRANTS_OF_CUSTOMER: &str = concatcp!(
    "SELECT ",
    GRANT_COLUMNS,
    " FROM benefit_grants WHERE organization_id = $1 AND customer_id = $2 AND revoked_at IS NULL \
     ORDER BY granted_at, id"
);

/// `$1` organization, `$2` customer, `$3` now: one more change of the customer's state.
pub(super) const RECORD_STATE_CHANGE: &str = "INSERT INTO customer_state_changes \
     (organization_id, customer_id, version, changed_at) VALUES ($1, $2, 1, $3) \
     ON CONFLICT (organization_id, customer_id) DO UPDATE \
     SET version = customer_state_changes.version + 1, changed_at = excluded.changed_at";

const PENDING_STATE_CHANGES: &str = "SELECT organization_id, customer_id, version \
     FROM customer_state_changes ORDER BY changed_at, customer_id LIMIT $1";

const CLEAR_STATE_CHANGE: &str = "DELETE FROM customer_state_changes \
     WHERE organization_id = $1 AND customer_id = $2 AND version = $3";

const SIGNING_KEY_COLUMNS: &str =
    "id, organization_id, created_at, private_key, public_key, retired_at";

const LIVE_SIGNING_KEY: &str = concatcp!(
    "SELECT ",
    SIGNING_KEY_COLUMNS,
    " FROM license_signing_keys WHERE organization_id = $1 AND retired_at IS NULL"
);

const SIGNING_KEYS: &str = concatcp!(
    "SELECT ",
    SIGNING_KEY_COLUMNS,
    " FROM license_signing_keys WHERE organization_id = $1 ORDER BY created_at DESC, id DESC"
);

const INSERT_SIGNING_KEY: &str = concatcp!(
    "INSERT INTO license_signing_keys (",
    SIGNING_KEY_COLUMNS,
    ") VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT DO NOTHING"
);

const RETIRE_SIGNING_KEY: &str = "UPDATE license_signing_keys SET retired_at = $2 \
     WHERE organization_id = $1 AND retired_at IS NULL";

#[derive(sqlx::FromRow)]
struct StateChangeRow {
    organization_id: OrganizationId,
    customer_id: CustomerId,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct SigningKeyRow {
    id: Uuid,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    private_key: Vec<u8>,
    public_key: Vec<u8>,
    retired_at: Option<DateTime<Utc>>,
}

impl From<SigningKeyRow> for SigningKeyRecord {
    fn from(r: SigningKeyRow) -> Self {
        Self {
            id: r.id,
            organization_id: r.organization_id,
            created_at: r.created_at,
            private_key: r.private_key,
            public_key: r.public_key,
            retired_at: r.retired_at,
        }
    }
}

impl SqlStore {
    /// Records one more change of a customer's state (in the dispatcher's transaction).
    pub(super) async fn record_state_change_with(
        executor: impl Into<On<'_>>,
        organization_id: OrganizationId,
        customer_id: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        query(RECORD_STATE_CHANGE)
            .bind(organization_id)
            .bind(customer_id)
            .bind(now)
            .execute(executor)
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl super::EntitlementStore for SqlStore {
    async fn customer_state(
        &self,
        organization_id: OrganizationId,
        customer_id: CustomerId,
    ) -> Result<CustomerStateRecords, StoreError> {
        let subscriptions = query_as::<SubscriptionRecord>(ACTIVE_SUBSCRIPTIONS_OF_CUSTOMER)
            .bind(organization_id)
            .bind(customer_id)
            .fetch_all(&self.db)
            .await?;
        let grants = query_as::<GrantRow>(LIVE_GRANTS_OF_CUSTOMER)
            .bind(organization_id)
            .bind(customer_id)
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(GrantRecord::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let mut benefit_ids: Vec<_> = grants.iter().map(|g| g.benefit_id).collect();
        benefit_ids.sort_unstable();
        benefit_ids.dedup();
        let benefits = if benefit_ids.is_empty() {
            Vec::new()
        } else {
            // Only placeholders are added to the constant text: no value enters it.
            let sql = format!(
                "SELECT {BENEFIT_COLUMNS} FROM benefits WHERE organization_id = $1 AND id IN ({})",
                (2..benefit_ids.len() + 2)
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut read = query_as::<BenefitRow>(sqlx::AssertSqlSafe(sql)).bind(organization_id);
            for id in &benefit_ids {
                read = read.bind(*id);
            }
            read.fetch_all(&self.db)
                .await?
                .into_iter()
                .map(BenefitRecord::try_from)
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(CustomerStateRecords {
            subscriptions,
            grants,
            benefits,
        })
    }

    async fn pending_state_changes(&self, limit: u32) -> Result<Vec<StateChange>, StoreError> {
        Ok(query_as::<StateChangeRow>(PENDING_STATE_CHANGES)
            .bind(i64::from(limit))
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(|r| StateChange {
                organization_id: r.organization_id,
                customer_id: r.customer_id,
                version: r.version,
            })
            .collect())
    }

    async fn write_state_changed(
        &self,
        change: StateChange,
        event: Option<&NewEvent>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin_write().await?;
        // The note first: only the writer that clears the version it read writes its event, so
        // two workers never both tell one note, and a state read before a newer change (whose
        // note has a newer version) is never sent after that change's.
        let cleared = query(CLEAR_STATE_CHANGE)
            .bind(change.organization_id)
            .bind(change.customer_id)
            .bind(change.version)
            .execute(&mut tx)
            .await?
            .rows_affected()
            == 1;
        if cleared && let Some(event) = event {
            Self::insert_event_with(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(cleared)
    }

    async fn live_signing_key(
        &self,
        organization_id: OrganizationId,
    ) -> Result<Option<SigningKeyRecord>, StoreError> {
        Ok(query_as::<SigningKeyRow>(LIVE_SIGNING_KEY)
            .bind(organization_id)
            .fetch_optional(&self.db)
            .await?
            .map(Into::into))
    }

    async fn signing_keys(
        &self,
        organization_id: OrganizationId,
    ) -> Result<Vec<SigningKeyRecord>, StoreError> {
        Ok(query_as::<SigningKeyRow>(SIGNING_KEYS)
            .bind(organization_id)
            .fetch_all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn insert_signing_key(
        &self,
        key: &SigningKeyRecord,
        retire_live: bool,
    ) -> Result<SigningKeyRecord, StoreError> {
        let mut tx = self.db.begin_write().await?;
        if retire_live {
            query(RETIRE_SIGNING_KEY)
                .bind(key.organization_id)
                .bind(key.created_at)
                .execute(&mut tx)
                .await?;
        }
        query(INSERT_SIGNING_KEY)
            .bind(key.id)
            .bind(key.organization_id)
            .bind(key.created_at)
            .bind(&key.private_key)
            .bind(&key.public_key)
            .execute(&mut tx)
            .await?;
        // The live key: this one, or the one a concurrent first use made.
        let live = query_as::<SigningKeyRow>(LIVE_SIGNING_KEY)
            .bind(key.organization_id)
            .fetch_optional(&mut tx)
            .await?
            .map(SigningKeyRecord::from)
            .ok_or_else(|| StoreError::Corrupt("no live license signing key".into()))?;
        tx.commit().await?;
        Ok(live)
    }
}
