//! What the customer portal shows beyond seat management: the subscriptions where the caller
//! holds a claimed seat.

use crate::model::{ListResource, PageRequest, billing::Subscription};

use super::{PortalCaller, ServiceError, Services};

impl Services {
    /// Subscriptions where the session's member holds a claimed seat, newest first.
    pub async fn portal_claimed_subscriptions(
        &self,
        caller: &PortalCaller,
        page: PageRequest,
    ) -> Result<ListResource<Subscription>, ServiceError> {
        let (records, total) = self
            .store()
            .claimed_subscriptions(caller.member_id, page)
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
}
