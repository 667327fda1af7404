//! What the customer portal shows beyond seat management: the subscriptions where the caller
//! holds a claimed seat, as Polar's `CustomerSubscription` (the product names its organization).

use crate::model::{
    ListResource, Organization, PageRequest,
    billing::{CustomerSubscription, CustomerSubscriptionProduct},
};

use super::{PortalCaller, ServiceError, Services, billing::subscription_core};

impl Services {
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
        let organization: Organization = self
            .store()
            .organization(caller.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?
            .into();
        let mut items = Vec::with_capacity(records.len());
        for record in &records {
            let product = self
                .store()
                .product(caller.organization_id, record.product_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("Product"))?;
            let product: crate::model::product::Product = product.into();
            items.push(CustomerSubscription {
                core: subscription_core(record),
                prices: product.prices.clone(),
                product: CustomerSubscriptionProduct {
                    product,
                    organization: organization.clone(),
                },
                meters: Vec::new(),
                pending_update: None,
            });
        }
        Ok(ListResource::new(items, total, page))
    }
}
