//! Subscriptions and orders: reading them, and their wire shapes (used by the checkout too).

use crate::{
    model::{
        ListResource, OrderId, PageRequest, Scope, SubscriptionId,
        billing::{Order, OrderCore, OrderStatus, Subscription, SubscriptionCore},
        customer::Customer,
        product::Product,
        subscription_update::PendingSubscriptionUpdate,
    },
    server::store::{OrderFilter, OrderRecord, SubscriptionFilter, SubscriptionRecord},
};

use super::{OrganizationCaller, ServiceError, Services};

/// The subscription's own fields.
pub(super) fn subscription_core(s: &SubscriptionRecord) -> SubscriptionCore {
    SubscriptionCore {
        metadata: s.metadata.clone(),
        created_at: s.created_at,
        modified_at: s.modified_at,
        id: s.id,
        amount: s.amount,
        currency: s.currency.clone(),
        recurring_interval: s.recurring_interval,
        recurring_interval_count: 1,
        status: s.status,
        current_period_start: s.current_period_start,
        current_period_end: s.current_period_end,
        current_meter_period_start: None,
        current_meter_period_end: None,
        trial_start: None,
        trial_end: None,
        cancel_at_period_end: s.cancel_at_period_end,
        canceled_at: s.canceled_at,
        started_at: Some(s.started_at),
        ends_at: s
            .ended_at
            .or(s.cancel_at_period_end.then_some(s.current_period_end)),
        ended_at: s.ended_at,
        past_due_at: s.changes.past_due_at,
        pause_at_period_end: false,
        paused_at: None,
        resumes_at: None,
        customer_id: s.customer_id,
        product_id: s.product_id,
        discount_id: None,
        checkout_id: s.checkout_id,
        seats: s.seats,
        units: None,
        customer_cancellation_reason: s.changes.customer_cancellation_reason.clone(),
        customer_cancellation_comment: s.changes.customer_cancellation_comment.clone(),
    }
}

/// The seat count scheduled for a subscription's renewal, as Polar's `pending_update`.
pub(super) fn pending_update(s: &SubscriptionRecord) -> Option<PendingSubscriptionUpdate> {
    let scheduled = s.changes.scheduled()?;
    Some(PendingSubscriptionUpdate {
        id: scheduled.id,
        created_at: scheduled.created_at,
        modified_at: None,
        applies_at: s.current_period_end,
        product_id: None,
        seats: Some(scheduled.seats),
        units: None,
    })
}

pub(super) fn subscription_wire(
    s: &SubscriptionRecord,
    customer: Customer,
    product: Product,
) -> Subscription {
    Subscription {
        core: subscription_core(s),
        custom_field_data: serde_json::json!({}),
        customer,
        prices: product.prices.clone(),
        product,
        discount: None,
        meters: Vec::new(),
        pending_update: pending_update(s),
    }
}

/// The fields of an order both the merchant and the customer see.
pub(super) fn order_core(
    o: &OrderRecord,
    billing_name: Option<String>,
    product_name: &str,
    subscription: Option<SubscriptionCore>,
) -> OrderCore {
    let paid = matches!(o.status, OrderStatus::Paid | OrderStatus::Refunded);
    // A paid order partly refunded (or being refunded) is `partially_refunded`.
    let status = if o.status == OrderStatus::Paid && o.refunded_amount.get() > 0 {
        OrderStatus::PartiallyRefunded
    } else {
        o.status
    };
    let refundable = if o.status == OrderStatus::Paid {
        crate::model::MinorUnits((o.total_amount.get() - o.refunded_amount.get()).max(0))
    } else {
        crate::model::MinorUnits::ZERO
    };
    OrderCore {
        id: o.id,
        created_at: o.created_at,
        modified_at: o.modified_at,
        status,
        paid,
        subtotal_amount: o.subtotal_amount,
        discount_amount: Default::default(),
        net_amount: o.subtotal_amount,
        tax_amount: Default::default(),
        total_amount: o.total_amount,
        applied_balance_amount: Default::default(),
        due_amount: if paid {
            Default::default()
        } else {
            o.total_amount
        },
        refunded_amount: o.refunded_amount,
        refunded_tax_amount: Default::default(),
        currency: o.currency.clone(),
        billing_reason: o.billing_reason,
        billing_name,
        billing_address: None,
        invoice_number: None,
        is_invoice_generated: false,
        receipt_number: None,
        seats: o.seats,
        units: None,
        customer_id: o.customer_id,
        product_id: o.product_id,
        discount_id: None,
        subscription_id: o.subscription_id,
        checkout_id: o.checkout_id,
        next_payment_attempt_at: None,
        description: product_name.to_owned(),
        subscription,
        items: o.items.clone(),
        refundable_amount: refundable,
        refundable_tax_amount: Default::default(),
    }
}

pub(super) fn order_wire(
    o: &OrderRecord,
    customer: Customer,
    product: Product,
    subscription: Option<SubscriptionCore>,
) -> Order {
    Order {
        core: order_core(o, customer.name.clone(), &product.name, subscription),
        metadata: o.metadata.clone(),
        custom_field_data: serde_json::json!({}),
        platform_fee_amount: Default::default(),
        platform_fee_currency: None,
        customer,
        product,
        discount: None,
    }
}

impl Services {
    /// The customer and product of a subscription or order, as the API shows them.
    pub(super) async fn parties(
        &self,
        organization_id: crate::model::OrganizationId,
        customer_id: crate::model::CustomerId,
        product_id: crate::model::ProductId,
    ) -> Result<(Customer, Product), ServiceError> {
        // A deleted customer still owns its history.
        let customer = self
            .store()
            .customer_even_deleted(organization_id, customer_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Customer"))?;
        let product = self
            .store()
            .product(organization_id, product_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Product"))?;
        Ok((customer.into(), product.into()))
    }

    pub(super) async fn subscription_out(
        &self,
        organization_id: crate::model::OrganizationId,
        s: &SubscriptionRecord,
    ) -> Result<Subscription, ServiceError> {
        let (customer, product) = self
            .parties(organization_id, s.customer_id, s.product_id)
            .await?;
        Ok(subscription_wire(s, customer, product))
    }

    async fn order_out(
        &self,
        caller: &OrganizationCaller,
        o: &OrderRecord,
    ) -> Result<Order, ServiceError> {
        let (customer, product) = self
            .parties(caller.organization_id, o.customer_id, o.product_id)
            .await?;
        let subscription = match o.subscription_id {
            Some(id) => self
                .store()
                .subscription(caller.organization_id, id)
                .await?
                .as_ref()
                .map(subscription_core),
            None => None,
        };
        Ok(order_wire(o, customer, product, subscription))
    }

    pub async fn get_subscription(
        &self,
        caller: &OrganizationCaller,
        id: SubscriptionId,
    ) -> Result<Subscription, ServiceError> {
        caller.require_any(&[Scope::SubscriptionsRead, Scope::SubscriptionsWrite])?;
        let record = self
            .store()
            .subscription(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Subscription"))?;
        self.subscription_out(caller.organization_id, &record).await
    }

    pub async fn list_subscriptions(
        &self,
        caller: &OrganizationCaller,
        filter: SubscriptionFilter,
        page: PageRequest,
    ) -> Result<ListResource<Subscription>, ServiceError> {
        caller.require_any(&[Scope::SubscriptionsRead, Scope::SubscriptionsWrite])?;
        let (records, total) = self
            .store()
            .list_subscriptions(caller.organization_id, &filter, page)
            .await?;
        let mut items = Vec::with_capacity(records.len());
        for record in &records {
            items.push(
                self.subscription_out(caller.organization_id, record)
                    .await?,
            );
        }
        Ok(ListResource::new(items, total, page))
    }

    pub async fn get_order(
        &self,
        caller: &OrganizationCaller,
        id: OrderId,
    ) -> Result<Order, ServiceError> {
        caller.require_any(&[Scope::OrdersRead])?;
        let record = self
            .store()
            .order(caller.organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Order"))?;
        self.order_out(caller, &record).await
    }

    pub async fn list_orders(
        &self,
        caller: &OrganizationCaller,
        filter: OrderFilter,
        page: PageRequest,
    ) -> Result<ListResource<Order>, ServiceError> {
        caller.require_any(&[Scope::OrdersRead])?;
        let (records, total) = self
            .store()
            .list_orders(caller.organization_id, &filter, page)
            .await?;
        let mut items = Vec::with_capacity(records.len());
        for record in &records {
            items.push(self.order_out(caller, record).await?);
        }
        Ok(ListResource::new(items, total, page))
    }
}
