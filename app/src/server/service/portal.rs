//! What the customer portal shows beyond seat management, as Polar's `CustomerSubscription` (the
//! product names its organization): the subscriptions of the session's customer, and those where
//! the caller holds a claimed seat. Any member of the customer may read them; another customer's
//! subscription is 404.

use std::collections::{HashMap, hash_map::Entry};

use crate::{
    model::{
        ListResource, Organization, PageRequest, ProductId, SubscriptionId,
        billing::{CustomerSubscription, CustomerSubscriptionProduct},
        product::Product,
    },
    server::store::{SubscriptionFilter, SubscriptionRecord},
};

use super::{
    PortalCaller, ServiceError, Services,
    billing::{pending_update, subscription_core},
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
        let organization: Organization = self
            .store()
            .organization(caller.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?
            .into();
        let mut products: HashMap<ProductId, Product> = HashMap::new();
        let mut items = Vec::with_capacity(records.len());
        for record in records {
            let product = match products.entry(record.product_id) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => {
                    let product: Product = self
                        .store()
                        .product(caller.organization_id, record.product_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("Product"))?
                        .into();
                    slot.insert(product).clone()
                }
            };
            items.push(CustomerSubscription {
                core: subscription_core(record),
                prices: product.prices.clone(),
                product: CustomerSubscriptionProduct {
                    product,
                    organization: organization.clone(),
                },
                meters: Vec::new(),
                pending_update: pending_update(record),
            });
        }
        Ok(items)
    }
}
