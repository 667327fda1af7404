//! `/v1/webhooks`: the organization's webhook endpoints, their delivery log, and redelivery. Thin
//! handlers over the webhooks service.

use app::{
    model::{
        ErrorBody, ListResource, OrganizationId, WebhookEndpointId, WebhookSendId,
        webhook::{WebhookDelivery, WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate},
    },
    server::store::WebhookDeliveryFilter,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Created, lists};
use crate::{
    rest::{
        error::ApiError,
        extract::{self, ListQuery, OrgAuth, Path},
    },
    startup::AppState,
};

/// Create a webhook endpoint. Its secret (`whsec_...`) signs every delivery.
#[utoipa::path(post, path = "/v1/webhooks/endpoints", tag = "webhooks", request_body = WebhookEndpointCreate,
    responses((status = 201, body = WebhookEndpoint), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "A URL that is not https to a public host (unless the server allows private targets), an unknown event type, a format other than `raw` or an API version other than `2026-10`.", body = ErrorBody)),
    security(("access_token" = ["webhooks:write"])))]
pub(crate) async fn create_endpoint(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    extract::Json(body): extract::Json<WebhookEndpointCreate>,
) -> Result<Created<WebhookEndpoint>, ApiError> {
    Ok(Created(
        state
            .services
            .create_webhook_endpoint(&caller, body)
            .await?,
    ))
}

/// The filters the official SDK sends (`webhooks.list_webhook_endpoints`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndpointListParams {
    /// Only this organization (a token sees only its own).
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    organization_id: Vec<OrganizationId>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// List the organization's webhook endpoints, oldest first.
#[utoipa::path(get, path = "/v1/webhooks/endpoints", tag = "webhooks", params(EndpointListParams),
    responses((status = 200, body = ListResource<WebhookEndpoint>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:read", "webhooks:write"])))]
pub(crate) async fn list_endpoints(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<EndpointListParams>,
) -> Result<Json<ListResource<WebhookEndpoint>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    Ok(Json(
        state
            .services
            .list_webhook_endpoints(&caller, &params.organization_id, page)
            .await?,
    ))
}

/// Get a webhook endpoint.
#[utoipa::path(get, path = "/v1/webhooks/endpoints/{id}", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:read", "webhooks:write"])))]
pub(crate) async fn get_endpoint(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<WebhookEndpointId>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    Ok(Json(
        state.services.get_webhook_endpoint(&caller, id).await?,
    ))
}

/// Update a webhook endpoint. Enabling one the server disabled after repeated failures resets its
/// count of failures and sends its pending events.
#[utoipa::path(patch, path = "/v1/webhooks/endpoints/{id}", tag = "webhooks", request_body = WebhookEndpointUpdate,
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:write"])))]
pub(crate) async fn update_endpoint(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<WebhookEndpointId>,
    extract::Json(body): extract::Json<WebhookEndpointUpdate>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    Ok(Json(
        state
            .services
            .update_webhook_endpoint(&caller, id, body)
            .await?,
    ))
}

/// Delete a webhook endpoint, with its events and their delivery log.
#[utoipa::path(delete, path = "/v1/webhooks/endpoints/{id}", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    responses((status = 204, description = "Deleted."), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:write"])))]
pub(crate) async fn delete_endpoint(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<WebhookEndpointId>,
) -> Result<StatusCode, ApiError> {
    state.services.delete_webhook_endpoint(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a webhook endpoint a new secret (the old one signs nothing from now on).
#[utoipa::path(patch, path = "/v1/webhooks/endpoints/{id}/secret", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:write"])))]
pub(crate) async fn reset_secret(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<WebhookEndpointId>,
) -> Result<Json<WebhookEndpoint>, ApiError> {
    Ok(Json(
        state
            .services
            .reset_webhook_endpoint_secret(&caller, id)
            .await?,
    ))
}

/// A class of HTTP status codes.
#[derive(Clone, Copy, Debug, Deserialize, utoipa::ToSchema)]
pub(crate) enum HttpCodeClass {
    #[serde(rename = "2xx")]
    Success,
    #[serde(rename = "3xx")]
    Redirection,
    #[serde(rename = "4xx")]
    ClientError,
    #[serde(rename = "5xx")]
    ServerError,
}

impl HttpCodeClass {
    const fn first_digit(self) -> u16 {
        match self {
            Self::Success => 2,
            Self::Redirection => 3,
            Self::ClientError => 4,
            Self::ServerError => 5,
        }
    }
}

/// The filters the official SDK sends (`webhooks.list_webhook_deliveries`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveryListParams {
    /// Only deliveries to these endpoints.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    endpoint_id: Vec<WebhookEndpointId>,
    /// Only deliveries at or after this time.
    #[param(value_type = Option<String>, format = DateTime)]
    start_timestamp: Option<lists::QueryTime>,
    /// Only deliveries at or before this time.
    #[param(value_type = Option<String>, format = DateTime)]
    end_timestamp: Option<lists::QueryTime>,
    /// Only successful (2xx) or failed deliveries.
    succeeded: Option<bool>,
    /// Case-insensitive part of the response or of the event's payload.
    query: Option<String>,
    /// Only deliveries answered with a code of this class (`2xx`, `3xx`, `4xx`, `5xx`).
    #[param(value_type = Option<String>)]
    http_code_class: Option<HttpCodeClass>,
    /// Only deliveries of these event types.
    #[serde(default)]
    #[param(value_type = Option<Vec<String>>)]
    event_type: Vec<String>,
    page: Option<u32>,
    limit: Option<u32>,
}

/// List delivery attempts, newest first, each with the event it sent.
#[utoipa::path(get, path = "/v1/webhooks/deliveries", tag = "webhooks", params(DeliveryListParams),
    responses((status = 200, body = ListResource<WebhookDelivery>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:read", "webhooks:write"])))]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    ListQuery { params, metadata }: ListQuery<DeliveryListParams>,
) -> Result<Json<ListResource<WebhookDelivery>>, ApiError> {
    lists::no_metadata(&metadata)?;
    let page = lists::page(params.page, params.limit)?;
    let filter = WebhookDeliveryFilter {
        endpoints: params.endpoint_id,
        from: lists::time(params.start_timestamp),
        until: lists::time(params.end_timestamp),
        succeeded: params.succeeded,
        query: params.query,
        http_code_class: params.http_code_class.map(HttpCodeClass::first_digit),
        kinds: params.event_type,
    };
    Ok(Json(
        state
            .services
            .list_webhook_deliveries(&caller, filter, page)
            .await?,
    ))
}

/// Send a webhook event to its endpoint again, with the same `webhook-id`.
#[utoipa::path(post, path = "/v1/webhooks/events/{id}/redeliver", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    responses((status = 202, description = "Scheduled: sent as soon as the endpoint's earlier events allow."),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("access_token" = ["webhooks:write"])))]
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    OrgAuth(caller): OrgAuth,
    Path(id): Path<WebhookSendId>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    state.services.redeliver_webhook_event(&caller, id).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::Value::Null)))
}
