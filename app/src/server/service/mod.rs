//! Services: one function per use case, called by both the REST handlers and the `#[server]`
//! functions. A service validates, asks the [`Store`] (one transaction per call) and maps failures to
//! [`ServiceError`], the one vocabulary of errors that reaches clients.

mod auth;
mod benefits;
mod billing;
mod billing_emails;
mod checkouts;
mod claims;
mod customers;
mod dashboard;
mod entitlements;
mod error;
mod events;
mod idempotency;
mod invitation_limits;
mod invitations;
mod invoicing;
mod license_certificates;
mod license_key_limits;
mod license_keys;
mod members;
mod organizations;
mod outbox;
mod payment_settling;
mod payments;
mod portal;
mod portal_view;
mod products;
mod purchases;
mod refunds;
mod renewals;
pub mod retry;
mod seat_assign;
mod seat_lists;
mod seat_transfer;
mod seats;
mod seed;
mod sessions;
mod shared_reads;
mod sign_in_codes;
mod status;
mod subscription_changes;
mod text;
mod webhook_urls;
mod webhooks;

use std::sync::Arc;

pub use auth::{Credential, OrganizationCaller, PortalCaller, SeatCaller};
pub use entitlements::CustomerRef;
pub use error::ServiceError;
pub use idempotency::{Begun, IdempotentRequest, Replayed};
pub use invitation_limits::DEFAULT_ORGANIZATION_PER_HOUR as DEFAULT_RESEND_LIMIT;
pub use invitations::{Invitation, describe_ttl, html_escape};
pub use license_keys::KeyUser;
pub use organizations::{CreateOrganization, CreatedOrganization};
pub use payments::PAYMENT_GRACE;
pub use seat_lists::SeatListJson;
pub use seed::{SEED_BATCH_POOLS, SeedRequest, Seeded};
pub use sessions::SESSION_TTL;
pub use sign_in_codes::{SIGN_IN_CODE_LEN, SIGN_IN_CODE_TTL, normalize_code};
pub use webhook_urls::is_public_address;
pub use webhooks::{
    AttemptOutcome, DISABLE_AFTER_FAILED_EVENTS, OutgoingWebhook, RESPONSE_EXCERPT_BYTES, excerpt,
    render_body, signature,
};

use crate::server::{
    clock::Clock,
    payment::{PaymentProvider, TestPaymentProvider},
    store::Store,
};

/// Everything a use case needs: the store and the clock. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    payments: Arc<dyn PaymentProvider>,
    /// The address people reach this server at, for links in pages and emails.
    public_url: String,
    demo_slug: Option<String>,
    /// Rendered seat lists of this process, answered while current.
    seat_lists: Arc<seat_lists::SeatListCache>,
    /// Callers' reads of pools under way, shared by identical reads that arrive together.
    caller_reads: Arc<shared_reads::SharedReads<auth::CallerOnPoolKey, auth::CallerOnPoolRead>>,
    /// How often invitations may be re-sent, in this process.
    invitation_limits: Arc<invitation_limits::InvitationLimits>,
    /// How often one license key may be used by its holders, in this process.
    license_key_limits: Arc<license_key_limits::LicenseKeyLimits>,
    /// How often sign-in codes may be sent to one email, in this process.
    sign_in_limits: Arc<sign_in_codes::SignInLimits>,
    /// Whether webhook endpoints may be plain http or private addresses (`webhook_urls`).
    webhook_allow_private: bool,
}

impl Services {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        public_url: impl Into<String>,
    ) -> Self {
        let public_url = public_url.into().trim_end_matches('/').to_owned();
        Self {
            payments: Arc::new(TestPaymentProvider::new(store.clone())),
            store,
            clock,
            public_url,
            demo_slug: None,
            seat_lists: Arc::default(),
            caller_reads: Arc::default(),
            invitation_limits: Arc::default(),
            license_key_limits: Arc::default(),
            sign_in_limits: Arc::default(),
            webhook_allow_private: false,
        }
    }

    /// The customer portal's address that signs in with a session `token`.
    pub fn portal_url(&self, org_slug: &crate::model::Slug, token: &str) -> String {
        format!(
            "{}/{org_slug}/portal?customer_session_token={token}",
            self.public_url
        )
    }

    /// The public base URL, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Uses `provider` for payments instead of the built-in test provider.
    pub fn with_payment_provider(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.payments = provider;
        self
    }

    /// Allows `per_hour` invitation re-sends per organization and hour (0: no such limit).
    pub fn with_resend_limit(mut self, per_hour: u32) -> Self {
        self.invitation_limits = Arc::new(invitation_limits::InvitationLimits::new(per_hour));
        self
    }

    /// Allows `per_minute` public calls with one license key (0: no such limit).
    pub fn with_license_key_limit(mut self, per_minute: u32) -> Self {
        self.license_key_limits = Arc::new(license_key_limits::LicenseKeyLimits::new(per_minute));
        self
    }

    /// Marks the organization with this slug as the demo shown on the home page.
    pub fn with_demo(mut self, slug: impl Into<String>) -> Self {
        self.demo_slug = Some(slug.into());
        self
    }

    /// Runs the background work that is due now: the payment sweeper, renewals (and the ends of
    /// cancelled and past-due subscriptions), and forgetting idempotency keys past their lifetime. The workers of `serve` call it
    /// periodically; the test clock after each advance.
    pub async fn run_due_work(&self) -> Result<(), error::ServiceError> {
        // Each kind of work runs even when another failed; the first failure is answered.
        let outcomes = [
            self.settle_unsettled_payments().await.map(drop),
            self.settle_invoiced_changes().await,
            self.settle_pending_refunds().await,
            self.renew_due_subscriptions().await,
            self.remind_upcoming_renewals().await,
            self.purge_idempotency_keys().await.map(drop),
        ];
        outcomes.into_iter().collect()
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time, to the microsecond: the precision both databases store, so a resource
    /// returned at creation is identical to the same resource read back later.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        use chrono::SubsecRound;
        self.clock.now().trunc_subsecs(6)
    }
}
