//! What the customer portal shows beyond seat management, as Polar's `CustomerSubscription` (the
//! product names its organization): the subscriptions of the session's customer, and those where
//! the caller holds a claimed seat. Any member of the customer may read them; another customer's
//! subscription is 404.

use std::collections::{HashMap, hash_map::Entry};

use crate::{
    model::{
        ListResource, OrderId, Organization, PageRequest, ProductId, SubscriptionId,
        billing::{CustomerOrder, CustomerSubscription, CustomerSubscriptionProduct},
        product::Product,
    },
    server::store::{OrderFilter, OrderRecord, SubscriptionFilter, SubscriptionRecord},
};

use super::{
    PortalCaller, ServiceError, Services,
    billing::{order_core, pending_update, subscription_core},
};

impl Services {
    /// The subscriptions of the session's customer that `filter` selects (its customer and
    /// organization conditions are the session's, whatever they said).
    pub async fn portal_subscriptions(
        &self,
        caller: &PortalCaller,
        mut filter: SubscriptionFilter,
        page: PageRequest,
    ) -> Result<ListResource<CustomerSubscription>, ServiceError> {
        filter.organizations = Vec::new();
        filter.customer_ids = vec![caller.customer_id];
        let (records, total) = self
            .store()
            .list_subscriptions(caller.organization_id, &filter, page)
            .await?;
        let items = self.customer_subscriptions(caller, &records).await?;
        Ok(ListResource::new(items, total, page))
    }

    /// One subscription of the session's customer.
    pub async fn portal_subscription(
        &self,
        caller: &PortalCaller,
        id: SubscriptionId,
    ) -> Result<CustomerSubscription, ServiceError> {
        let record = self
            .store()
            .subscription(caller.organization_id, id)
            .await?
            .filter(|record| record.customer_id == caller.customer_id)
            .ok_or_else(|| ServiceError::not_found("Subscription"))?;
        let mut items = self.customer_subscriptions(caller, &[record]).await?;
        items
            .pop()
            .ok_or_else(|| ServiceError::not_found("Subscription"))
    }

    /// Subscriptions where the session's member holds a claimed seat, newest first.
    pub async fn portal_claimed_subscriptions(
        &self,
        caller: &PortalCaller,
        page: PageRequest,
    ) -> Result<ListResource<CustomerSubscription>, ServiceError> {
        let (records, total) = self
            .store()
            .claimed_subscriptions(caller.member_id, page)
            .await?;
        let items = self.customer_subscriptions(caller, &records).await?;
        Ok(ListResource::new(items, total, page))
    }

    /// The orders of the session's customer that `filter` selects (its customer and organization
    /// conditions are the session's, whatever they said).
    pub async fn portal_orders(
        &self,
        caller: &PortalCaller,
        mut filter: OrderFilter,
        page: PageRequest,
    ) -> Result<ListResource<CustomerOrder>, ServiceError> {
        filter.organizations = Vec::new();
        filter.customer_ids = vec![caller.customer_id];
        let (records, total) = self
            .store()
            .list_orders(caller.organization_id, &filter, page)
            .await?;
        let items = self.customer_orders(caller, &records).await?;
        Ok(ListResource::new(items, total, page))
    }

    /// One order of the session's customer.
    pub async fn portal_order(
        &self,
        caller: &PortalCaller,
        id: OrderId,
    ) -> Result<CustomerOrder, ServiceError> {
        let record = self
            .store()
            .order(caller.organization_id, id)
            .await?
            .filter(|record| record.customer_id == caller.customer_id)
            .ok_or_else(|| ServiceError::not_found("Order"))?;
        let mut items = self.customer_orders(caller, &[record]).await?;
        items.pop().ok_or_else(|| ServiceError::not_found("Order"))
    }

    /// `records` as the portal shows them: each with its product and organization, and its
    /// subscription's fields.
    async fn customer_orders(
        &self,
        caller: &PortalCaller,
        records: &[OrderRecord],
    ) -> Result<Vec<CustomerOrder>, ServiceError> {
        let mut products = self.portal_products(caller).await?;
        let mut items = Vec::with_capacity(records.len());
        for record in records {
            let product = products.get(record.product_id).await?;
            let subscription = match record.subscription_id {
                Some(id) => self
                    .store()
                    .subscription(caller.organization_id, id)
                    .await?
                    .as_ref()
                    .map(subscription_core),
                None => None,
            };
            let billing_name = self
                .store()
                .customer_even_deleted(caller.organization_id, record.customer_id)
                .await?
                .and_then(|c| c.name);
            items.push(CustomerOrder {
                core: order_core(record, billing_name, &product.product.name, subscription),
                product,
            });
        }
        Ok(items)
    }

    /// The products the portal names, with the organization, each read once.
    async fn portal_products(
        &self,
        caller: &PortalCaller,
    ) -> Result<PortalProducts<'_>, ServiceError> {
        let organization: Organization = self
            .store()
            .organization(caller.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?
            .into();
        Ok(PortalProducts {
            services: self,
            caller: caller.clone(),
            organization,
            known: HashMap::new(),
        })
    }

    /// `records` as the portal shows them: each with its product (read once per product) and the
    /// organization.
    async fn customer_subscriptions(
        &self,
        caller: &PortalCaller,
        records: &[SubscriptionRecord],
    ) -> Result<Vec<CustomerSubscription>, ServiceError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut products = self.portal_products(caller).await?;
        let mut items = Vec::with_capacity(records.len());
        for record in records {
            let product = products.get(record.product_id).await?;
            items.push(CustomerSubscription {
                core: subscription_core(record),
                prices: product.product.prices.clone(),
                product,
                meters: Vec::new(),
                pending_update: pending_update(record),
            });
        }
        Ok(items)
    }
}

/// Products as the portal names them (with the organization), each read once.
struct PortalProducts<'a> {
    services: &'a Services,
    caller: PortalCaller,
    organization: Organization,
    known: HashMap<ProductId, Product>,
}

impl PortalProducts<'_> {
    async fn get(&mut self, id: ProductId) -> Result<CustomerSubscriptionProduct, ServiceError> {
        let product = match self.known.entry(id) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(slot) => {
                let product: Product = self
                    .services
                    .store()
                    .product(self.caller.organization_id, id)
                    .await?
                    .ok_or_else(|| ServiceError::not_found("Product"))?
                    .into();
                slot.insert(product).clone()
            }
        };
        Ok(CustomerSubscriptionProduct {
            product,
            organization: self.organization.clone(),
        })
    }
}
