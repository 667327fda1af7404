//! Persistence behind one contract: the [`Store`] trait, implemented for SQLite (embedded, the
//! default) and PostgreSQL (production, several processes). The backend is chosen once, from the
//! database URL's scheme, by [`connect`]; nothing above this module knows which one it talks to.
//!
//! One implementation, [`SqlStore`], serves both: the same SQL text (runtime statements with `$n`
//! placeholders, which both drivers accept) through the small query API of `db.rs`, with the few real
//! differences between the databases named there. Invariants are enforced by the database itself
//! (unique indexes, foreign keys, conditional updates) so they hold across processes.

mod billing;
mod billing_sql;
mod catalog;
mod catalog_sql;
mod chain;
mod contract;
mod customers;
mod customers_sql;
mod db;
mod emails;
mod emails_sql;
mod entitlements;
mod error;
pub mod filters;
mod idempotency;
mod key_validation;
mod license_keys;
mod list_sql;
mod pools;
mod pools_sql;
mod postgres;
mod records;
mod refunds;
mod seat_writes_sql;
mod seats;
mod seats_sql;
mod seed;
mod session_codes;
mod sql;
mod sqlite;
mod subscription_changes;
mod webhook_outbox;
mod webhooks;

use std::{sync::Arc, time::Duration};

pub use billing::{
    CheckoutChange, CheckoutRecord, CustomerWrite, OrderRecord, PaymentRecord, PaymentSettlement,
    PaymentStatus, Purchase, ScheduledSeats, SubscriptionChanges, SubscriptionRecord, TestCharge,
};
pub use catalog::{BenefitRecord, EventRecord, NewEvent, PriceKind, PriceRecord, ProductRecord};
pub use contract::{
    BillingStore, CatalogStore, CustomerStore, EmailStore, EntitlementStore, LicenseKeyStore,
    PaymentStore, PoolStore, RefundStore, SeatStore, SeedStore, Store, SubscriptionStore,
    WebhookStore,
};
pub use customers::{CustomerRecord, MemberRecord, NewCustomerSession};
pub use emails::{EmailRecord, EmailStatus, NewEmail};
pub use emails_sql::ERASED_BODY;
pub use entitlements::{CustomerStateRecords, SigningKeyRecord, StateChange};
pub use error::{Constraint, StoreError};
pub use filters::{
    BenefitFilter, CheckoutFilter, CustomerFilter, GrantFilter, LicenseKeyFilter, MemberFilter,
    OrderFilter, OrganizationFilter, ProductFilter, RefundFilter, SubscriptionFilter,
};
pub use idempotency::{
    IdempotencyClaim, IdempotencyHold, IdempotencyKey, IdempotencyRecord, StoredResponse,
};
pub use key_validation::HeldLicenseKey;
pub use license_keys::{ActivationRecord, KeyTermsChange, LicenseKeyChange, LicenseKeyRecord};
pub use pools::{
    CallerOnPool, CallerRecord, CredentialHash, PoolContextRecord, PoolRead, PoolSeen, PoolStamp,
};
pub use records::{AccessTokenRecord, NewAccessToken, NewOrganization, OrganizationRecord};
pub use refunds::{RefundRecord, RefundSettlement, TestRefund};
pub use seats::{
    AuditRecord, GrantRecord, SeatAssignment, SeatClaimWrite, SeatRecord, SeatResendWrite,
    SeatRevokeWrite, SeatTransferWrite, SessionRecord,
};
pub use seed::{SeedCounts, SeedPlan};
pub use session_codes::{NewSessionCode, SessionToOpen, SignInHolder};
pub use sql::SqlStore;
pub use subscription_changes::{
    BillingEntryRecord, CancellationWrite, PastDueWrite, RenewalWrite, SeatCountTarget,
    SeatCountWrite, SubscriptionEndWrite,
};
pub use webhook_outbox::{AttemptRecorded, LeasedWebhookEndpoint, WebhookAttempt};
pub use webhooks::{
    WebhookDeliveryFilter, WebhookDeliveryRecord, WebhookEndpointChange, WebhookEndpointRecord,
    WebhookSendRecord, WebhookSendStatus,
};

use crate::model::seat::SeatPool;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// How to open a store.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// Pool size (PostgreSQL; SQLite uses it too, capped to a sensible number of readers).
    pub max_connections: u32,
    /// How long to wait for a connection before giving up.
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Why a database could not be opened; each message names the problem for an operator.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "unsupported database URL scheme {0:?}: use sqlite://path/to/file.db or postgres://user@host/db"
    )]
    UnsupportedScheme(String),
    #[error("malformed database URL: {0}")]
    Malformed(String),
    #[error("cannot create the folder for the SQLite database {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Unreachable(String),
}

/// Opens the store named by `url` (`sqlite:` or `postgres:`/`postgresql:`). Does not migrate.
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<Arc<dyn Store>, ConnectError> {
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .unwrap_or_default();
    match scheme {
        "sqlite" => Ok(Arc::new(sqlite::connect(url, options).await?)),
        "postgres" | "postgresql" => Ok(Arc::new(postgres::connect(url, options).await?)),
        "" => Err(ConnectError::Malformed(format!("{url:?} has no scheme"))),
        other => Err(ConnectError::UnsupportedScheme(other.to_owned())),
    }
}

/// Opens the store and applies its migrations.
pub async fn connect_and_migrate(
    url: &str,
    options: &ConnectOptions,
) -> Result<Arc<dyn Store>, ConnectError> {
    let store = connect(url, options).await?;
    store
        .migrate()
        .await
        .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
    Ok(store)
}

/// A one-line description of a connection failure, without secrets from the URL.
fn describe_connect_error(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Io(io) => format!("{io}"),
        sqlx::Error::Configuration(e) => format!("invalid configuration: {e}"),
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a connection".to_owned(),
        other => other.to_string(),
    }
}
