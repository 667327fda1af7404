//! What a paid checkout creates: the customer (new, or an existing one), the subscription (recurring
//! product) or the order (one-time), the order's items, the buyer's portal session, and their events,
//! written by one transaction that also settles the checkout's payment.
//!
//! The identity rule: a checkout opens a portal session only for a customer it created, or one the
//! merchant bound it to (`customer_id` or `external_customer_id` when the checkout was opened). A buyer
//! who only typed the email of an existing customer buys *for* that customer (the purchase lands on
//! it, as the merchant would expect), but receives no session: knowing an email address must not give
//! anyone a billing manager's powers over that team's seats.

use chrono::{DateTime, Utc};

use crate::{
    domain::checkout::period_end,
    model::{
        CustomerId, CustomerSessionId, Email, MemberId, OrderId, PageRequest, SubscriptionId,
        billing::{BillingReason, CheckoutStatus, OrderItem, OrderStatus, SubscriptionStatus},
        customer::{Customer, CustomerType, Member, MemberRole},
        metadata::Metadata,
        product::Product,
    },
    server::{
        store::{
            CheckoutRecord, CustomerFilter, CustomerRecord, CustomerWrite, MemberRecord,
            NewCustomerSession, OrderRecord, PaymentRecord, ProductRecord, Purchase,
            SubscriptionRecord,
        },
        token::{self, NewToken},
    },
};

use super::{
    ServiceError, Services,
    checkouts::{build_checkout, pricing_error, pricing_of},
    sessions::{SESSION_TOKEN_PREFIX, SESSION_TTL},
};

impl Services {
    /// Everything a paid checkout creates, with its events, settling `payment`; and the secret of
    /// the buyer's portal session when the identity rule gives one (see the module doc).
    pub(super) async fn purchase(
        &self,
        record: &CheckoutRecord,
        product: &ProductRecord,
        email: Email,
        payment: &PaymentRecord,
        payment_reference: Option<String>,
    ) -> Result<(Purchase, Option<NewToken>), ServiceError> {
        let now = self.now();
        let org = record.organization_id;
        let mut events = Vec::new();

        let (customer, customer_write, session_owner) = self.buyer(record, &email, now).await?;
        match &customer_write {
            CustomerWrite::Update(updated) => {
                events.push(self.event(
                    org,
                    "customer.updated",
                    &Customer::from(updated.clone()),
                )?);
            }
            CustomerWrite::Insert(created, owner) => {
                events.push(self.event(
                    org,
                    "customer.created",
                    &Customer::from(created.clone()),
                )?);
                events.push(self.event(org, "member.created", &Member::from(owner.clone()))?);
            }
        }

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
                changes: Default::default(),
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
            refunded_amount: crate::model::MinorUnits::ZERO,
            payment_reference: payment_reference.clone(),
        };
        let remind_at = match &subscription {
            Some(s) => {
                let days = self.store().renewal_reminder_days(org).await?;
                // No reminders when the organization set 0 days.
                (days > 0).then(|| s.current_period_end - chrono::TimeDelta::days(i64::from(days)))
            }
            None => None,
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
            // Paid at once: the subscription starts active.
            events.push(self.event(org, "subscription.active", &wire)?);
        }
        let subscription_core = subscription.as_ref().map(super::billing::subscription_core);
        let order_wire =
            super::billing::order_wire(&order, customer_wire, product_wire, subscription_core);
        events.push(self.event(org, "order.created", &order_wire)?);
        events.push(self.event(org, "order.paid", &order_wire)?);
        let session_secret = session_owner
            .as_ref()
            .map(|_| token::generate(SESSION_TOKEN_PREFIX));
        let session = session_owner
            .zip(session_secret.as_ref())
            .map(|(owner, secret)| NewCustomerSession {
                id: CustomerSessionId::new(),
                organization_id: org,
                customer_id: owner.customer_id,
                member_id: owner.id,
                hash: secret.hash.clone(),
                created_at: now,
                expires_at: now + SESSION_TTL,
                return_url: None,
            });
        let purchase = Purchase {
            checkout,
            customer: customer_write,
            subscription,
            order,
            events,
            payment: payment.id,
            payment_reference,
            payment_method: payment.payment_method.clone(),
            remind_at,
            session,
        };
        Ok((purchase, session_secret))
    }

    /// Who buys, and who gets a session. The checkout's customer when the merchant bound one
    /// (`customer_id`, or an `external_customer_id` that exists): its owner gets a session. Else an
    /// existing customer with the buyer's email: the purchase is theirs, but nobody gets a session,
    /// because typing an email proves nothing (the owner signs in through the portal). Else a new
    /// customer with the buyer as owner, who gets a session.
    async fn buyer(
        &self,
        record: &CheckoutRecord,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(CustomerRecord, CustomerWrite, Option<MemberRecord>), ServiceError> {
        let org = record.organization_id;
        let bound = match (record.customer_id, record.external_customer_id.as_deref()) {
            (Some(id), _) => self.store().customer(org, id).await?,
            (None, Some(external)) => self.store().customer_by_external_id(org, external).await?,
            (None, None) => None,
        };
        let (existing, owner_gets_a_session) = match bound {
            Some(customer) => (Some(customer), true),
            None => {
                let filter = CustomerFilter {
                    email: Some(email.clone()),
                    ..CustomerFilter::default()
                };
                let by_email = self
                    .store()
                    .list_customers(org, &filter, PageRequest::default())
                    .await?
                    .0
                    .into_iter()
                    .next();
                (by_email, false)
            }
        };
        if let Some(mut customer) = existing {
            let owner = if owner_gets_a_session {
                Some(
                    self.store()
                        .owner(customer.id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("Member"))?,
                )
            } else {
                None
            };
            customer.kind = CustomerType::Team;
            customer.modified_at = Some(now);
            return Ok((customer.clone(), CustomerWrite::Update(customer), owner));
        }
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
            email: email.clone(),
            name: record.customer_name.clone(),
            external_id: None,
            role: MemberRole::Owner,
            deleted_at: None,
        };
        Ok((
            customer.clone(),
            CustomerWrite::Insert(customer, owner.clone()),
            Some(owner),
        ))
    }
}
