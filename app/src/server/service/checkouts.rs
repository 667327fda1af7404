//! Checkouts: a merchant opens one for a product and a seat count (organization token); the buyer
//! reads it by its client secret (the capability the checkout link carries). What the buyer changes
//! and pays is in `payments.rs`; what a paid checkout creates, in `purchases.rs`.
//!
//! A client secret is a credential only while its checkout is open: once it succeeded (or expired)
//! it can read the checkout and nothing else (no change, no payment, no session).

use std::collections::BTreeMap;

use chrono::TimeDelta;

use crate::model::Named;
use crate::{
    domain::{
        checkout::checkout_seats,
        pricing::{PricingError, ProductPricing},
    },
    model::{
        CheckoutId, ListResource, PageRequest, Scope,
        billing::{BillingAddressFields, Checkout, CheckoutCreate, CheckoutStatus},
        metadata::Metadata,
        organization::CheckoutOrganization,
        product::{Product, ProductPrice},
    },
    server::{
        store::{CheckoutFilter, CheckoutRecord, OrganizationRecord, PriceKind, ProductRecord},
        token,
    },
};

use super::{OrganizationCaller, ServiceError, Services, text};

/// Prefix of checkout client secrets (they are capability URLs, shown to the buyer).
pub const CLIENT_SECRET_PREFIX: &str = "skp_chk_";
/// How long a checkout stays open.
pub const CHECKOUT_TTL: TimeDelta = TimeDelta::hours(1);

/// A product's pricing, read from its live prices.
pub(super) fn pricing_of(
    product: &ProductRecord,
) -> Result<(ProductPricing, &crate::server::store::PriceRecord), ServiceError> {
    let seat_price = product
        .prices
        .iter()
        .find(|p| matches!(p.kind, PriceKind::SeatBased(_)))
        .ok_or_else(|| {
            ServiceError::invalid_field("products", "this product has no seat-based price")
        })?;
    let PriceKind::SeatBased(tiers) = &seat_price.kind else {
        return Err(ServiceError::invalid_field(
            "products",
            "this product has no seat-based price",
        ));
    };
    let fixed = product.prices.iter().find_map(|p| match p.kind {
        PriceKind::Fixed(amount) => Some(amount),
        PriceKind::SeatBased(_) => None,
    });
    Ok((
        ProductPricing {
            tiers: tiers.clone(),
            fixed,
        },
        seat_price,
    ))
}

pub(super) fn pricing_error(err: PricingError) -> ServiceError {
    ServiceError::invalid_field("seats", err.to_string())
}

impl Services {
    pub(super) fn checkout_url(&self, client_secret: &str) -> String {
        format!("{}/checkout/{client_secret}", self.public_url())
    }

    /// The status a buyer sees: an open checkout past its expiry is expired.
    pub(super) fn effective_status(&self, record: &CheckoutRecord) -> CheckoutStatus {
        if record.status == CheckoutStatus::Open && record.expires_at <= self.now() {
            CheckoutStatus::Expired
        } else {
            record.status
        }
    }

    /// The wire checkout of a record, with its product and organization.
    pub(super) async fn checkout_wire(
        &self,
        record: &CheckoutRecord,
    ) -> Result<Checkout, ServiceError> {
        let product_record = self
            .store()
            .product(record.organization_id, record.product_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Product"))?;
        let organization = self
            .store()
            .organization(record.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        Ok(build_checkout(
            record,
            self.effective_status(record),
            product_record.into(),
            &organization,
            self.checkout_url(&record.client_secret),
        ))
    }

    #[tracing::instrument(skip_all, fields(organization_id = %caller.organization_id), err(level = "info"))]
    pub async fn create_checkout(
        &self,
        caller: &OrganizationCaller,
        input: CheckoutCreate,
    ) -> Result<Checkout, ServiceError> {
        caller.require_any(&[Scope::CheckoutsWrite])?;
        let [product_id] = input.products.as_slice() else {
            return Err(ServiceError::invalid_field(
                "products",
                "give exactly one product",
            ));
        };
        let product = self
            .store()
            .product(caller.organization_id, *product_id)
            .await?
            .ok_or_else(|| {
                ServiceError::invalid_field(
                    "products",
                    format!("product {product_id} does not exist"),
                )
            })?;
        if product.is_archived {
            return Err(ServiceError::invalid_field(
                "products",
                "this product is archived and can no longer be bought",
            ));
        }
        let (pricing, seat_price) = pricing_of(&product)?;
        if let Some(currency) = &input.currency
            && *currency != seat_price.currency
        {
            return Err(ServiceError::invalid_field(
                "currency",
                format!(
                    "this product is sold in {}, not {currency}",
                    seat_price.currency
                ),
            ));
        }
        let (seats, range) = checkout_seats(
            pricing.tiers.limits(),
            input.seats,
            input.min_seats,
            input.max_seats,
        )
        .map_err(|e| ServiceError::invalid_field("seats", e.to_string()))?;
        let amount = pricing.amount_for(seats).map_err(pricing_error)?;
        if let Err(msg) = input.metadata.validate() {
            return Err(ServiceError::invalid_field("metadata", msg));
        }
        let mut issues = Vec::new();
        let customer_name = text::clean_text("customer_name", input.customer_name, &mut issues);
        let external_customer_id = text::clean_text(
            "external_customer_id",
            input.external_customer_id,
            &mut issues,
        );
        let success_url = text::clean(
            "success_url",
            input.success_url,
            text::MAX_LONG_TEXT_LEN,
            &mut issues,
        );
        text::validated(issues)?;
        let mut customer_email = input.customer_email;
        if let Some(customer_id) = input.customer_id {
            let customer = self
                .store()
                .customer(caller.organization_id, customer_id)
                .await?
                .ok_or_else(|| {
                    ServiceError::invalid_field(
                        "customer_id",
                        format!("customer {customer_id} does not exist"),
                    )
                })?;
            customer_email = customer_email.or(customer.email);
        }
        let now = self.now();
        let record = CheckoutRecord {
            id: CheckoutId::new(),
            organization_id: caller.organization_id,
            created_at: now,
            modified_at: None,
            client_secret: token::generate(CLIENT_SECRET_PREFIX).expose().to_owned(),
            status: CheckoutStatus::Open,
            expires_at: now + CHECKOUT_TTL,
            product_id: product.id,
            price_id: seat_price.id,
            seats,
            min_seats: range.minimum,
            max_seats: range.maximum,
            amount,
            currency: seat_price.currency.clone(),
            customer_id: input.customer_id,
            customer_email,
            customer_name,
            external_customer_id,
            success_url,
            metadata: input.metadata,
            subscription_id: None,
            order_id: None,
        };
        let checkout = self.checkout_wire(&record).await?;
        let event = self.event(caller.organization_id, "checkout.created", &checkout)?;
        self.store().insert_checkout(&record, &event).await?;
        Ok(checkout)
    }

    pub async fn get_checkout(
        &self,
        caller: &OrganizationCaller,
        id: CheckoutId,
    ) -> Result<Checkout, ServiceError> {
        caller.require_any(&[Scope::CheckoutsRead, Scope::CheckoutsWrite])?;
        let record = self
            .store()
            .checkout(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Checkout"))?;
        self.checkout_wire(&record).await
    }

    pub async fn list_checkouts(
        &self,
        caller: &OrganizationCaller,
        filter: CheckoutFilter,
        page: PageRequest,
    ) -> Result<ListResource<Checkout>, ServiceError> {
        caller.require_any(&[Scope::CheckoutsRead, Scope::CheckoutsWrite])?;
        let (records, total) = self
            .store()
            .list_checkouts(caller.organization_id, &filter, self.now(), page)
            .await?;
        let mut items = Vec::with_capacity(records.len());
        for record in &records {
            items.push(self.checkout_wire(record).await?);
        }
        Ok(ListResource::new(items, total, page))
    }

    pub(super) async fn checkout_by_secret(
        &self,
        client_secret: &str,
    ) -> Result<CheckoutRecord, ServiceError> {
        self.store()
            .checkout_by_client_secret(client_secret)
            .await?
            .ok_or_else(|| ServiceError::not_found("Checkout"))
    }

    /// The checkout behind a client secret (public: the secret is the capability).
    pub async fn client_checkout(&self, client_secret: &str) -> Result<Checkout, ServiceError> {
        let record = self.checkout_by_secret(client_secret).await?;
        self.checkout_wire(&record).await
    }

    pub(super) fn require_open(&self, record: &CheckoutRecord) -> Result<(), ServiceError> {
        match self.effective_status(record) {
            CheckoutStatus::Open => Ok(()),
            CheckoutStatus::Expired => Err(ServiceError::Rejected {
                error: "CheckoutExpired",
                detail: "this checkout has expired; ask the seller for a new link".into(),
            }),
            // Passing: the payment settles within moments (a retry then sees the outcome).
            CheckoutStatus::Confirmed => Err(ServiceError::Conflict {
                error: "CheckoutNotOpen",
                detail: "this checkout is being paid right now; read it again to see the result"
                    .into(),
            }),
            other => Err(ServiceError::Rejected {
                error: "CheckoutNotOpen",
                detail: format!(
                    "this checkout is {} and can no longer be changed",
                    other.as_str()
                ),
            }),
        }
    }
}

/// The checkout as the API shows it.
pub(super) fn build_checkout(
    record: &CheckoutRecord,
    status: CheckoutStatus,
    product: Product,
    organization: &OrganizationRecord,
    url: String,
) -> Checkout {
    let product_price = product
        .prices
        .iter()
        .find(|p| matches!(p, ProductPrice::SeatBased(s) if s.common.id == record.price_id))
        .or_else(|| product.prices.first())
        .cloned();
    let prices = BTreeMap::from([(product.id.to_string(), product.prices.clone())]);
    let amount = record.amount;
    Checkout {
        id: record.id,
        created_at: record.created_at,
        modified_at: record.modified_at,
        custom_field_data: serde_json::json!({}),
        payment_processor: "stripe".into(),
        status,
        client_secret: record.client_secret.clone(),
        url,
        expires_at: record.expires_at,
        success_url: record.success_url.clone().unwrap_or_default(),
        return_url: None,
        embed_origin: None,
        amount,
        seats: record.seats,
        min_seats: Some(record.min_seats),
        max_seats: Some(record.max_seats),
        units: None,
        min_units: None,
        max_units: None,
        discount_amount: Default::default(),
        net_amount: amount,
        tax_amount: Some(Default::default()),
        tax_behavior: None,
        total_amount: amount,
        currency: record.currency.clone(),
        allow_trial: None,
        active_trial_interval: None,
        active_trial_interval_count: None,
        trial_end: None,
        organization_id: record.organization_id,
        product_id: record.product_id,
        product_price_id: record.price_id,
        discount_id: None,
        allow_discount_codes: false,
        require_billing_address: false,
        is_discount_applicable: false,
        is_free_product_price: amount.get() == 0,
        is_payment_required: amount.get() > 0,
        is_payment_setup_required: product.is_recurring,
        is_payment_form_required: amount.get() > 0,
        customer_id: record.customer_id,
        is_business_customer: false,
        customer_name: record.customer_name.clone(),
        customer_email: record.customer_email.clone(),
        customer_ip_address: None,
        customer_billing_name: None,
        customer_billing_address: None,
        customer_tax_id: None,
        locale: None,
        payment_method_type: None,
        payment_processor_metadata: BTreeMap::new(),
        billing_address_fields: BillingAddressFields::default(),
        trial_interval: None,
        trial_interval_count: None,
        metadata: record.metadata.clone(),
        external_customer_id: record.external_customer_id.clone(),
        products: vec![product.clone()],
        product_price,
        product,
        prices,
        discount: None,
        subscription_id: record.subscription_id,
        order_id: record.order_id,
        attached_custom_fields: Vec::new(),
        customer_metadata: Metadata::default(),
        organization: CheckoutOrganization::from(organization),
    }
}
