//! Filling a database with many seat pools, for measuring the system at scale (`seatkeeper dev
//! seed`). The organization and its catalog (a benefit, a seat-based monthly product granting it)
//! go through the ordinary services, as a merchant's would; the pools are written in bulk by the
//! store ([`SeedStore`](crate::server::store::SeedStore)), a batch of pools per transaction.

use std::sync::Arc;

use chrono::Duration;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{
    CreateOrganization, OrganizationCaller, ServiceError, Services, organizations::new_access_token,
};
use crate::{
    domain::pricing::SYSTEM_MAX_SEATS,
    model::{
        OrganizationId, Scopes, Slug,
        benefit::BenefitCreate,
        product::{ProductBenefitsUpdate, ProductCreate},
    },
    server::store::{SeedCounts, SeedPlan},
};

/// Pools written per transaction: big enough for few round trips, small enough that a batch's rows
/// stay a few megabytes in memory.
pub const SEED_BATCH_POOLS: u64 = 500;
/// Batches written at once: on PostgreSQL one builds its rows while another is written (SQLite's
/// writers take turns anyway).
const SEED_WRITERS: usize = 2;
/// Price of a seat of the seeded product, in cents.
const PRICE_PER_SEAT: i64 = 1_000;

/// What `seatkeeper dev seed` asks for.
#[derive(Clone, Debug)]
pub struct SeedRequest {
    /// An existing organization to seed into; a new one when absent.
    pub organization: Option<Slug>,
    pub pools: u64,
    pub seats_per_pool: u32,
}

/// What was seeded.
#[derive(Debug)]
pub struct Seeded {
    pub organization_id: OrganizationId,
    pub slug: Slug,
    /// The new organization's token (shown once); `None` when seeding into an existing one.
    pub access_token: Option<SecretString>,
    pub counts: SeedCounts,
}

impl Services {
    /// Seeds `request.pools` pools, reporting the running totals after each batch to `progress`.
    pub async fn seed(
        &self,
        request: SeedRequest,
        progress: impl Fn(&SeedCounts) + Send + Sync,
    ) -> Result<Seeded, ServiceError> {
        if request.pools == 0 {
            return Err(ServiceError::invalid_field(
                "pools",
                "seed at least one pool",
            ));
        }
        if !(1..=SYSTEM_MAX_SEATS).contains(&request.seats_per_pool) {
            return Err(ServiceError::invalid_field(
                "seats_per_pool",
                format!("a pool holds between 1 and {SYSTEM_MAX_SEATS} seats"),
            ));
        }
        let label = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
        let (caller, slug, access_token) = self
            .seed_organization(request.organization.clone(), &label)
            .await?;
        let plan = self.seed_catalog(&caller, &request, label).await?;
        let plan = Arc::new(plan);
        let mut counts = SeedCounts::default();
        let mut running = tokio::task::JoinSet::new();
        let mut next = 0;
        loop {
            while running.len() < SEED_WRITERS && next < plan.pools {
                let end = (next + SEED_BATCH_POOLS).min(plan.pools);
                let (store, plan) = (self.store().clone(), plan.clone());
                running.spawn(async move { store.seed_pools(&plan, next..end).await });
                next = end;
            }
            let Some(batch) = running.join_next().await else {
                break;
            };
            match batch {
                Ok(written) => counts += written?,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => continue,
            }
            progress(&counts);
        }
        self.store().settle_after_seed().await?;
        Ok(Seeded {
            organization_id: caller.organization_id,
            slug,
            access_token,
            counts,
        })
    }

    /// The organization named by `slug` (acting with a token of its own that expires within the
    /// hour), or a new one `seed-{label}`.
    async fn seed_organization(
        &self,
        slug: Option<Slug>,
        label: &str,
    ) -> Result<(OrganizationCaller, Slug, Option<SecretString>), ServiceError> {
        let (secret, slug, shown) = match slug {
            Some(slug) => {
                let organization = self
                    .store()
                    .organization_by_slug(slug.as_str())
                    .await?
                    .ok_or_else(|| {
                        ServiceError::missing(
                            "OrganizationNotFound",
                            format!("no organization has the slug {:?}", slug.as_str()),
                        )
                    })?;
                let now = self.now();
                let (mut token, secret) =
                    new_access_token(organization.id, Scopes::all(), "dev seed", now);
                token.expires_at = Some(now + Duration::hours(1));
                self.store().insert_access_token(&token).await?;
                (secret, slug, false)
            }
            None => {
                let slug = Slug::parse(&format!("seed-{label}"))
                    .map_err(|e| ServiceError::invalid_field("slug", e.to_string()))?;
                let created = self
                    .create_organization(CreateOrganization {
                        name: format!("Seeded data {label}"),
                        slug: slug.clone(),
                        email: None,
                    })
                    .await?;
                (created.access_token, slug, true)
            }
        };
        let caller = self
            .authenticate_access_token(secret.expose_secret())
            .await?;
        Ok((caller, slug, shown.then_some(secret)))
    }

    /// A custom benefit and a monthly seat-based product granting it: what the pools buy.
    async fn seed_catalog(
        &self,
        caller: &OrganizationCaller,
        request: &SeedRequest,
        label: String,
    ) -> Result<SeedPlan, ServiceError> {
        let benefit: BenefitCreate = parse(json!({
            "type": "custom",
            "description": "Seeded team access",
            "properties": {"note": "Seeded by `seatkeeper dev seed`."}
        }))?;
        let benefit = self.create_benefit(caller, benefit).await?;
        let product: ProductCreate = parse(json!({
            "name": format!("Seeded plan {label}"),
            "recurring_interval": "month",
            "prices": [{
                "amount_type": "seat_based",
                "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": PRICE_PER_SEAT}]}
            }]
        }))?;
        let product = self.create_product(caller, product).await?;
        let benefits = ProductBenefitsUpdate {
            benefits: vec![benefit.id],
        };
        let product = self
            .set_product_benefits(caller, product.id, benefits)
            .await?;
        let price = product.seat_price().ok_or_else(|| {
            ServiceError::invalid_field("prices", "the seeded product has no seat price")
        })?;
        Ok(SeedPlan {
            organization_id: caller.organization_id,
            product_id: product.id,
            price_id: price.common.id,
            benefit_id: benefit.id,
            currency: price.common.price_currency.as_str().to_owned(),
            price_per_seat: PRICE_PER_SEAT,
            pools: request.pools,
            label,
            seats_per_pool: request.seats_per_pool,
            now: self.now(),
        })
    }
}

/// A request body the seed writes itself, read as the API would read it.
fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ServiceError> {
    serde_json::from_value(value).map_err(|e| ServiceError::invalid_field("body", e.to_string()))
}
