//! Checkouts: a merchant opens one for a product and a seat count; the buyer (public client
//! endpoints, by client secret) adjusts seats and email and confirms with a payment token. A paid
//! recurring checkout creates an active subscription and a `subscription_create` order; a one-time
//! one a paid `purchase` order. The buyer becomes a `team` customer. Confirming is guarded by one
//! conditional update, so confirming twice (or twice at once) never buys twice.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use crate::{
    domain::{
        checkout::{checkout_seats, period_end},
        pricing::{PricingError, ProductPricing},
    },
    model::{
        CheckoutId, CustomerId, ListResource, MemberId, OrderId, PageRequest, Scope,
        SubscriptionId,
        billing::{
            BillingAddressFields, BillingReason, Checkout, CheckoutConfirm, CheckoutConfirmed,
            CheckoutCreate, CheckoutOrganization, CheckoutStatus, CheckoutUpdatePublic, OrderItem,
            OrderStatus, SubscriptionStatus,
        },
        customer::{Customer, CustomerType, Member, MemberRole},
        metadata::Metadata,
        product::{Product, ProductPrice},
    },
    server::{
        payment::{Charge, PaymentError},
        store::{
            CheckoutRecord, CustomerFilter, CustomerRecord, CustomerWrite, MemberRecord,
            OrderRecord, OrganizationRecord, PriceKind, ProductRecord, Purchase,
            SubscriptionRecord,
        },
        token,
    },
};

use super::{OrganizationCaller, ServiceError, Services};

/// Prefix of checkout client secrets (they are capability URLs, shown to the buyer).
pub const CLIENT_SECRET_PREFIX: &str = "skp_chk_";
/// How long a checkout stays open.
pub const CHECKOUT_TTL: TimeDelta = TimeDelta::hours(1);

/// A product's pricing, read from its live prices.
fn pricing_of(
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

fn pricing_error(err: PricingError) -> ServiceError {
    ServiceError::invalid_field("seats", err.to_string())
}

impl Services {
    fn checkout_url(&self, client_secret: &str) -> String {
        format!("{}/checkout/{client_secret}", self.public_url())
    }

    /// The status a buyer sees: an open checkout past its expiry is expired.
    fn effective_status(&self, record: &CheckoutRecord) -> CheckoutStatus {
        if record.status == CheckoutStatus::Open && record.expires_at <= self.now() {
            CheckoutStatus::Expired
        } else {
            record.status
        }
    }

    /// The wire checkout of a record, with its product and organization.
    async fn checkout_wire(&self, record: &CheckoutRecord) -> Result<Checkout, ServiceError> {
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
            customer_name: input.customer_name,
            external_customer_id: input.external_customer_id,
            success_url: input.success_url,
            metadata: input.metadata,
            subscription_id: None,
            order_id: None,
        };
        let checkout = self.checkout_wire(&record).await?;
        let event = self.event(caller.organization_id, "checkout.created", &checkout)?;
        self.store().save_checkout(&record, &event).await?;
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
        page: PageRequest,
    ) -> Result<ListResource<Checkout>, ServiceError> {
        caller.require_any(&[Scope::CheckoutsRead, Scope::CheckoutsWrite])?;
        let (records, total) = self
            .store()
            .list_checkouts(caller.organization_id, page)
            .await?;
        let mut items = Vec::with_capacity(records.len());
        for record in &records {
            items.push(self.checkout_wire(record).await?);
        }
        Ok(ListResource::new(items, total, page))
    }

    async fn checkout_by_secret(
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

    fn require_open(&self, record: &CheckoutRecord) -> Result<(), ServiceError> {
        match self.effective_status(record) {
            CheckoutStatus::Open => Ok(()),
            CheckoutStatus::Expired => Err(ServiceError::Rejected {
                error: "CheckoutExpired",
                detail: "this checkout has expired; ask the seller for a new link".into(),
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

    /// Applies a buyer's changes (seats, email, name) to an open checkout; the amount follows.
    async fn apply_client_changes(
        &self,
        mut record: CheckoutRecord,
        seats: Option<u32>,
        email: Option<crate::model::Email>,
        name: Option<String>,
    ) -> Result<CheckoutRecord, ServiceError> {
        if seats.is_none() && email.is_none() && name.is_none() {
            return Ok(record);
        }
        self.require_open(&record)?;
        if let Some(seats) = seats {
            if !(record.min_seats..=record.max_seats).contains(&seats) {
                return Err(ServiceError::invalid_field(
                    "seats",
                    format!(
                        "choose between {} and {} seats (got {seats})",
                        record.min_seats, record.max_seats
                    ),
                ));
            }
            let product = self
                .store()
                .product(record.organization_id, record.product_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("Product"))?;
            let (pricing, _) = pricing_of(&product)?;
            record.amount = pricing.amount_for(seats).map_err(pricing_error)?;
            record.seats = seats;
        }
        if email.is_some() {
            record.customer_email = email;
        }
        if let Some(name) = name {
            record.customer_name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
        }
        record.modified_at = Some(self.now());
        let checkout = self.checkout_wire(&record).await?;
        let event = self.event(record.organization_id, "checkout.updated", &checkout)?;
        self.store().save_checkout(&record, &event).await?;
        Ok(record)
    }

    /// The buyer changes the seat count, email or name; the amount is recomputed.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn client_update_checkout(
        &self,
        client_secret: &str,
        input: CheckoutUpdatePublic,
    ) -> Result<Checkout, ServiceError> {
        let record = self.checkout_by_secret(client_secret).await?;
        let record = self
            .apply_client_changes(
                record,
                input.seats,
                input.customer_email,
                input.customer_name,
            )
            .await?;
        self.checkout_wire(&record).await
    }

    /// The buyer pays. Idempotent: confirming a succeeded checkout again buys nothing more.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn client_confirm_checkout(
        &self,
        client_secret: &str,
        input: CheckoutConfirm,
    ) -> Result<CheckoutConfirmed, ServiceError> {
        let checkout = self.confirm(client_secret, input).await?;
        let customer_id = checkout
            .customer_id
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let customer = self
            .store()
            .customer(checkout.organization_id, customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let owner = self
            .store()
            .owner(customer.id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Member"))?;
        let session = self.open_session(customer, &owner, None).await?;
        Ok(CheckoutConfirmed {
            checkout: Checkout {
                status: CheckoutStatus::Confirmed,
                ..checkout
            },
            customer_session_token: session.token,
        })
    }

    async fn confirm(
        &self,
        client_secret: &str,
        input: CheckoutConfirm,
    ) -> Result<Checkout, ServiceError> {
        let record = self.checkout_by_secret(client_secret).await?;
        if record.status == CheckoutStatus::Succeeded {
            return self.checkout_wire(&record).await;
        }
        let record = self
            .apply_client_changes(
                record,
                input.seats,
                input.customer_email,
                input.customer_name,
            )
            .await?;
        self.require_open(&record)?;
        let Some(email) = record.customer_email.clone() else {
            return Err(ServiceError::invalid_field(
                "customer_email",
                "an email address is required to buy",
            ));
        };
        let token = input.confirmation_token_id.filter(|t| !t.trim().is_empty());
        if record.amount.get() > 0 && token.is_none() {
            return Err(ServiceError::invalid_field(
                "confirmation_token_id",
                "a payment token is required",
            ));
        }
        if !self
            .store()
            .transition_checkout(
                record.id,
                CheckoutStatus::Open,
                CheckoutStatus::Confirmed,
                self.now(),
            )
            .await?
        {
            // Someone else confirmed first: answer with what they achieved.
            let current = self.checkout_by_secret(client_secret).await?;
            if current.status == CheckoutStatus::Succeeded {
                return self.checkout_wire(&current).await;
            }
            return Err(ServiceError::Rejected {
                error: "CheckoutNotOpen",
                detail: "this checkout is already being confirmed".into(),
            });
        }
        let outcome = self.pay_and_fulfil(&record, email, token).await;
        if outcome.is_err() {
            // Nothing was created: reopen so the buyer can retry.
            self.store()
                .transition_checkout(
                    record.id,
                    CheckoutStatus::Confirmed,
                    CheckoutStatus::Open,
                    self.now(),
                )
                .await?;
        }
        outcome
    }

    async fn pay_and_fulfil(
        &self,
        record: &CheckoutRecord,
        email: crate::model::Email,
        token: Option<String>,
    ) -> Result<Checkout, ServiceError> {
        let product = self
            .store()
            .product(record.organization_id, record.product_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Product"))?;
        if let Some(token) = token.filter(|_| record.amount.get() > 0) {
            let charge = Charge {
                amount: record.amount,
                currency: record.currency.clone(),
                token,
                description: format!("{} × {} seats", product.name, record.seats),
            };
            self.payments
                .charge(&charge)
                .await
                .map_err(|err| ServiceError::Rejected {
                    error: "PaymentError",
                    detail: match err {
                        PaymentError::Declined(msg) | PaymentError::InvalidToken(msg) => msg,
                    },
                })?;
        }
        let purchase = self.purchase(record, &product, email).await?;
        self.store().complete_purchase(&purchase).await?;
        self.checkout_wire(&purchase.checkout).await
    }

    /// Everything a paid checkout creates, with its events.
    async fn purchase(
        &self,
        record: &CheckoutRecord,
        product: &ProductRecord,
        email: crate::model::Email,
    ) -> Result<Purchase, ServiceError> {
        let now = self.now();
        let org = record.organization_id;
        let mut events = Vec::new();

        // The buyer: the checkout's customer, else one with its external id or email, else new.
        let existing = match (record.customer_id, record.external_customer_id.as_deref()) {
            (Some(id), _) => self.store().customer(org, id).await?,
            (None, Some(external)) => self.store().customer_by_external_id(org, external).await?,
            (None, None) => None,
        };
        let existing = match existing {
            Some(customer) => Some(customer),
            None => {
                let filter = CustomerFilter {
                    email: Some(email.clone()),
                    query: None,
                };
                self.store()
                    .list_customers(org, &filter, PageRequest::default())
                    .await?
                    .0
                    .into_iter()
                    .next()
            }
        };
        let (customer, customer_write) = match existing {
            Some(mut customer) => {
                customer.kind = CustomerType::Team;
                customer.modified_at = Some(now);
                events.push(self.event(
                    org,
                    "customer.updated",
                    &Customer::from(customer.clone()),
                )?);
                (customer.clone(), CustomerWrite::Update(customer))
            }
            None => {
                let customer = CustomerRecord {
                    id: CustomerId::new(),
                    organization_id: org,
                    created_at: now,
                    modified_at: None,
                    kind: CustomerType::Team,
                    email: Some(email.clone()),
                    name: record.customer_name.clone(),
                    external_id: record.external_customer_id.clone(),
                    metadata: Metadata::default(),
                    deleted_at: None,
                };
                let owner = MemberRecord {
                    id: MemberId::new(),
                    customer_id: customer.id,
                    organization_id: org,
                    created_at: now,
                    modified_at: None,
                    email,
                    name: record.customer_name.clone(),
                    external_id: None,
                    role: MemberRole::Owner,
                    deleted_at: None,
                };
                events.push(self.event(
                    org,
                    "customer.created",
                    &Customer::from(customer.clone()),
                )?);
                events.push(self.event(org, "member.created", &Member::from(owner.clone()))?);
                (customer.clone(), CustomerWrite::Insert(customer, owner))
            }
        };

        let subscription = product
            .recurring_interval
            .map(|interval| SubscriptionRecord {
                id: SubscriptionId::new(),
                organization_id: org,
                created_at: now,
                modified_at: None,
                customer_id: customer.id,
                product_id: product.id,
                price_id: record.price_id,
                checkout_id: Some(record.id),
                status: SubscriptionStatus::Active,
                seats: record.seats,
                amount: record.amount,
                currency: record.currency.clone(),
                recurring_interval: interval,
                current_period_start: now,
                current_period_end: period_end(now, interval),
                cancel_at_period_end: false,
                canceled_at: None,
                started_at: now,
                ended_at: None,
                metadata: record.metadata.clone(),
            });
        let (pricing, _) = pricing_of(product)?;
        let seat_charge = pricing
            .tiers
            .amount_for(record.seats)
            .map_err(pricing_error)?;
        let mut items = vec![OrderItem {
            created_at: now,
            modified_at: None,
            id: uuid::Uuid::now_v7(),
            label: format!("{} × {} seats", product.name, record.seats),
            amount: seat_charge,
            tax_amount: Default::default(),
            proration: false,
            product_price_id: Some(record.price_id),
            start_timestamp: subscription.as_ref().map(|s| s.current_period_start),
            end_timestamp: subscription.as_ref().map(|s| s.current_period_end),
        }];
        if let Some(fixed) = pricing.fixed {
            items.push(OrderItem {
                id: uuid::Uuid::now_v7(),
                label: product.name.clone(),
                amount: fixed,
                ..items[0].clone()
            });
        }
        let order = OrderRecord {
            id: OrderId::new(),
            organization_id: org,
            created_at: now,
            modified_at: None,
            customer_id: customer.id,
            product_id: product.id,
            subscription_id: subscription.as_ref().map(|s| s.id),
            checkout_id: Some(record.id),
            status: OrderStatus::Paid,
            billing_reason: if subscription.is_some() {
                BillingReason::SubscriptionCreate
            } else {
                BillingReason::Purchase
            },
            seats: record.seats,
            subtotal_amount: record.amount,
            total_amount: record.amount,
            currency: record.currency.clone(),
            items,
            metadata: record.metadata.clone(),
        };
        let mut checkout = record.clone();
        checkout.status = CheckoutStatus::Succeeded;
        checkout.modified_at = Some(now);
        checkout.customer_id = Some(customer.id);
        checkout.subscription_id = subscription.as_ref().map(|s| s.id);
        checkout.order_id = if subscription.is_none() {
            Some(order.id)
        } else {
            None
        };

        let product_wire = Product::from(product.clone());
        let customer_wire = Customer::from(customer);
        let organization = self
            .store()
            .organization(org)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let checkout_wire = build_checkout(
            &checkout,
            CheckoutStatus::Succeeded,
            product_wire.clone(),
            &organization,
            self.checkout_url(&checkout.client_secret),
        );
        events.push(self.event(org, "checkout.updated", &checkout_wire)?);
        if let Some(subscription) = &subscription {
            let wire = super::billing::subscription_wire(
                subscription,
                customer_wire.clone(),
                product_wire.clone(),
            );
            events.push(self.event(org, "subscription.created", &wire)?);
        }
        let subscription_core = subscription.as_ref().map(super::billing::subscription_core);
        let order_wire =
            super::billing::order_wire(&order, customer_wire, product_wire, subscription_core);
        events.push(self.event(org, "order.created", &order_wire)?);
        events.push(self.event(org, "order.paid", &order_wire)?);
        Ok(Purchase {
            checkout,
            customer: customer_write,
            subscription,
            order,
            events,
        })
    }
}

/// The checkout as the API shows it.
fn build_checkout(
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
        organization: CheckoutOrganization {
            created_at: organization.created_at,
            modified_at: organization.modified_at,
            id: organization.id,
            name: organization.name.clone(),
            slug: organization.slug.clone(),
            avatar_url: None,
            proration_behavior: organization.proration_behavior,
            allow_customer_updates: true,
        },
    }
}
