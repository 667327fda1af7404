//! The merchant dashboard's reads: what its pages show, through the same services as the REST API,
//! for a caller authenticated by the organization access token the dashboard's cookie holds.

use crate::model::{
    PageRequest, Scope,
    dashboard::{DeliverySummary, EndpointSummary, WebhooksDashboard},
};
use crate::server::store::WebhookDeliveryFilter;

use super::{OrganizationCaller, ServiceError, Services};

/// How many endpoints and deliveries the webhooks page shows.
const ENDPOINTS_SHOWN: u32 = 100;
const DELIVERIES_SHOWN: u32 = 50;

impl Services {
    /// The webhooks page: the organization's endpoints and its newest deliveries.
    pub async fn webhooks_dashboard(
        &self,
        caller: &OrganizationCaller,
    ) -> Result<WebhooksDashboard, ServiceError> {
        caller.require_any(&[Scope::WebhooksRead, Scope::WebhooksWrite])?;
        let organization_name = self
            .store()
            .organization(caller.organization_id)
            .await?
            .map(|organization| organization.name)
            .unwrap_or_default();
        let endpoints = self
            .list_webhook_endpoints(
                caller,
                &[],
                PageRequest::within(None, None, ENDPOINTS_SHOWN, ENDPOINTS_SHOWN)
                    .map_err(ServiceError::Validation)?,
            )
            .await?
            .items;
        let page = PageRequest::within(None, None, DELIVERIES_SHOWN, DELIVERIES_SHOWN)
            .map_err(ServiceError::Validation)?;
        let (deliveries, total_deliveries) = self
            .store()
            .list_webhook_deliveries(
                caller.organization_id,
                &WebhookDeliveryFilter::default(),
                page,
            )
            .await?;
        let url_of = |endpoint_id| {
            endpoints
                .iter()
                .find(|e| e.id == endpoint_id)
                .map(|e| e.url.clone())
                .unwrap_or_default()
        };
        let summaries = deliveries
            .into_iter()
            .map(|(delivery, send)| DeliverySummary {
                id: delivery.id.to_string(),
                event_id: send.id.to_string(),
                event_type: send.kind,
                endpoint_url: url_of(delivery.endpoint_id),
                at: delivery.created_at,
                succeeded: delivery.succeeded,
                http_code: delivery.http_code,
                response: delivery.response,
                duration_ms: delivery.duration_ms,
            })
            .collect();
        Ok(WebhooksDashboard {
            organization_name,
            endpoints: endpoints
                .into_iter()
                .map(|endpoint| EndpointSummary {
                    id: endpoint.id.to_string(),
                    url: endpoint.url,
                    name: endpoint.name,
                    enabled: endpoint.enabled,
                    events: endpoint.events,
                    created_at: endpoint.created_at,
                })
                .collect(),
            deliveries: summaries,
            total_deliveries,
        })
    }
}
