//! The persistence contract: what the services may ask of a store, one trait per aggregate (all of
//! them together are [`Store`]). Every method is one transaction; what each guarantees under
//! concurrency is in its doc. [`SqlStore`](super::SqlStore) implements them for both databases.

use async_trait::async_trait;

use super::{
    AccessTokenRecord, Backend, BenefitFilter, BenefitRecord, BillingStore, CustomerFilter,
    CustomerRecord, EmailStore, EventRecord, IdempotencyClaim, IdempotencyHold, IdempotencyKey,
    IdempotencyRecord, MemberFilter, MemberRecord, NewAccessToken, NewCustomerSession, NewEvent,
    NewOrganization, OrganizationRecord, PaymentStore, PoolStore, ProductFilter, ProductRecord,
    SeatStore, SessionRecord, StoreError, StoredResponse,
};
use crate::{
    model::{BenefitId, CustomerId, Email, MemberId, OrganizationId, PageRequest, ProductId},
    server::token::TokenHash,
};

/// The persistence contract. Every method is one transaction. Split per aggregate: organizations
/// and tokens here, the catalog in [`CatalogStore`].
#[async_trait]
pub trait Store:
    CatalogStore
    + CustomerStore
    + BillingStore
    + PaymentStore
    + PoolStore
    + SeatStore
    + EmailStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Applies pending migrations of this backend.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// A round trip to the database.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Closes the pool, waiting for connections in use to be returned.
    async fn close(&self);

    /// Creates an organization together with its first access token.
    async fn create_organization(
        &self,
        organization: &NewOrganization,
        token: &NewAccessToken,
    ) -> Result<OrganizationRecord, StoreError>;

    /// Adds an access token to an existing organization.
    async fn insert_access_token(&self, token: &NewAccessToken) -> Result<(), StoreError>;

    async fn organization(
        &self,
        id: OrganizationId,
    ) -> Result<Option<OrganizationRecord>, StoreError>;

    async fn organization_by_slug(
        &self,
        slug: &str,
    ) -> Result<Option<OrganizationRecord>, StoreError>;

    async fn count_organizations(&self) -> Result<u64, StoreError>;

    /// The live (not revoked, not expired at `now`) token with this hash.
    async fn access_token_by_hash(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<AccessTokenRecord>, StoreError>;

    /// Claims an idempotency key for a request (`hold`), or finds the row of the request that
    /// claimed it first. One statement, so of two requests with one key exactly one claims it.
    async fn claim_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        hold: IdempotencyHold<'_>,
    ) -> Result<IdempotencyClaim, StoreError>;

    /// Takes over a key whose first request died while holding it (lock expired at `hold.now`,
    /// nothing stored) or whose answer is older than `expired_before`; false when neither holds.
    async fn take_over_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        hold: IdempotencyHold<'_>,
        expired_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// The row of a key, if any.
    async fn idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Stores the response of the request holding a key, and releases the hold.
    async fn complete_idempotency_key(
        &self,
        key: IdempotencyKey<'_>,
        response: &StoredResponse,
    ) -> Result<(), StoreError>;

    /// Forgets a key (its request failed in a way worth retrying).
    async fn release_idempotency_key(&self, key: IdempotencyKey<'_>) -> Result<(), StoreError>;

    /// Forgets keys created before `before`; how many.
    async fn purge_idempotency_keys(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;
}

/// Benefits, products and their prices, and the event outbox. Every write appends its event in the
/// same transaction: a committed change always has its event, a rolled-back one never does.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn insert_benefit(
        &self,
        benefit: &BenefitRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Writes every field of an existing benefit (including its deletion time).
    async fn update_benefit(
        &self,
        benefit: &BenefitRecord,
        event: Option<&NewEvent>,
    ) -> Result<(), StoreError>;

    /// The benefit, deleted or not, if it belongs to the organization.
    async fn benefit(
        &self,
        organization_id: OrganizationId,
        id: BenefitId,
    ) -> Result<Option<BenefitRecord>, StoreError>;

    /// Live benefits, filtered and sorted (oldest first by default); and their total count.
    async fn list_benefits(
        &self,
        organization_id: OrganizationId,
        filter: &BenefitFilter,
        page: PageRequest,
    ) -> Result<(Vec<BenefitRecord>, u64), StoreError>;

    /// Inserts a product with its prices and benefits.
    async fn insert_product(
        &self,
        product: &ProductRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Writes a product's fields and benefits; with `replace_prices`, archives its prices and inserts
    /// `product.prices` as the new ones.
    async fn update_product(
        &self,
        product: &ProductRecord,
        replace_prices: bool,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    async fn product(
        &self,
        organization_id: OrganizationId,
        id: ProductId,
    ) -> Result<Option<ProductRecord>, StoreError>;

    /// Products, oldest first, filtered; and their total count.
    async fn list_products(
        &self,
        organization_id: OrganizationId,
        filter: &ProductFilter,
        page: PageRequest,
    ) -> Result<(Vec<ProductRecord>, u64), StoreError>;

    /// Every event of the organization's outbox, oldest first.
    async fn events(&self, organization_id: OrganizationId)
    -> Result<Vec<EventRecord>, StoreError>;
}

/// Customers, their members, and customer sessions. Deleted customers and members are kept (for
/// history) but never returned.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    /// Inserts a customer with its owner member and their events.
    async fn insert_customer(
        &self,
        customer: &CustomerRecord,
        owner: &MemberRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;

    /// Writes every field of a customer; a deletion also deletes its members.
    async fn update_customer(
        &self,
        customer: &CustomerRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError>;

    async fn customer(
        &self,
        organization_id: OrganizationId,
        id: CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError>;

    /// A customer even if deleted: subscriptions and orders keep showing who bought them.
    async fn customer_even_deleted(
        &self,
        organization_id: OrganizationId,
        id: CustomerId,
    ) -> Result<Option<CustomerRecord>, StoreError>;

    async fn customer_by_external_id(
        &self,
        organization_id: OrganizationId,
        external_id: &str,
    ) -> Result<Option<CustomerRecord>, StoreError>;

    /// Customers, newest first, filtered; and their total count.
    async fn list_customers(
        &self,
        organization_id: OrganizationId,
        filter: &CustomerFilter,
        page: PageRequest,
    ) -> Result<(Vec<CustomerRecord>, u64), StoreError>;

    async fn insert_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    /// Writes every field of a member (including its deletion time).
    async fn update_member(
        &self,
        member: &MemberRecord,
        event: &NewEvent,
    ) -> Result<(), StoreError>;

    async fn member(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError>;

    async fn member_by_external_id(
        &self,
        customer_id: CustomerId,
        external_id: &str,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// The customer's owner member.
    async fn owner(&self, customer_id: CustomerId) -> Result<Option<MemberRecord>, StoreError>;

    /// Live members, filtered and sorted (oldest first by default); and their total count.
    async fn list_members(
        &self,
        customer_id: CustomerId,
        filter: &MemberFilter,
        page: PageRequest,
    ) -> Result<(Vec<MemberRecord>, u64), StoreError>;

    async fn insert_customer_session(&self, session: &NewCustomerSession)
    -> Result<(), StoreError>;

    /// The holder of a live customer or member session with this token hash (a removed member's
    /// sessions are dead), with the member's current role.
    async fn live_session(
        &self,
        hash: &TokenHash,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// The live member of `customer_id` with this email.
    async fn member_by_email(
        &self,
        customer_id: CustomerId,
        email: &Email,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// A member of a customer, even if removed (a seat's history still names them).
    async fn member_even_removed(
        &self,
        customer_id: CustomerId,
        id: MemberId,
    ) -> Result<Option<MemberRecord>, StoreError>;

    /// Every member of a customer, removed ones included (seat history names them).
    async fn all_members(&self, customer_id: CustomerId) -> Result<Vec<MemberRecord>, StoreError>;
}
