//! Building outbox events: the resource as the API returns it, under the event's type name.

use serde::Serialize;

use crate::{
    model::{EventId, OrganizationId},
    server::store::NewEvent,
};

use super::{ServiceError, Services};

impl Services {
    /// An event of `kind` whose data is `resource` serialized exactly as the API returns it.
    pub(super) fn event<T: Serialize>(
        &self,
        organization_id: OrganizationId,
        kind: &'static str,
        resource: &T,
    ) -> Result<NewEvent, ServiceError> {
        let payload = serde_json::to_value(resource).map_err(|e| {
            ServiceError::Internal(crate::server::store::StoreError::Corrupt(format!(
                "event payload: {e}"
            )))
        })?;
        Ok(NewEvent {
            id: EventId::new(),
            organization_id,
            kind,
            payload,
            created_at: self.now(),
        })
    }
}
