//! `/v1`: the Polar-compatible REST API, one module per resource.

pub(crate) mod benefit_grants;
pub(crate) mod benefits;
pub(crate) mod billing;
pub(crate) mod checkouts;
pub(crate) mod customer_sessions;
pub(crate) mod customers;
pub(crate) mod license_certificates;
pub(crate) mod license_keys;
pub(crate) mod lists;
pub(crate) mod organizations;
pub(crate) mod portal;
pub(crate) mod portal_grants;
pub(crate) mod products;
pub(crate) mod refunds;
pub(crate) mod seats;
pub(crate) mod webhooks;

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::startup::AppState;

/// A `201 Created` answer: the new resource as JSON.
pub(crate) struct Created<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

/// Every documented `/v1` route. Handlers sharing a path are registered together.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(organizations::list))
        .routes(routes!(organizations::get_one, organizations::update))
        .routes(routes!(products::create, products::list))
        .routes(routes!(products::get_one, products::update))
        .routes(routes!(products::set_benefits))
        .routes(routes!(benefits::create, benefits::list))
        .routes(routes!(
            benefits::get_one,
            benefits::update,
            benefits::delete
        ))
        .routes(routes!(customers::create, customers::list))
        .routes(routes!(
            customers::get_one,
            customers::update,
            customers::delete
        ))
        .routes(routes!(customers::get_external))
        .routes(routes!(customers::get_state))
        .routes(routes!(customers::get_state_external))
        .routes(routes!(customers::list_members, customers::create_member))
        .routes(routes!(
            customers::get_member,
            customers::update_member,
            customers::delete_member
        ))
        .routes(routes!(customer_sessions::create))
        .routes(routes!(customer_sessions::request_code))
        .routes(routes!(customer_sessions::authenticate_code))
        .routes(routes!(customer_sessions::introspect))
        .routes(routes!(customer_sessions::user))
        .routes(routes!(benefits::list_grants))
        .routes(routes!(checkouts::create, checkouts::list))
        .routes(routes!(checkouts::get_one))
        .routes(routes!(checkouts::client_get, checkouts::client_update))
        .routes(routes!(checkouts::client_confirm))
        .routes(routes!(billing::list_subscriptions))
        .routes(routes!(
            billing::get_subscription,
            billing::update_subscription,
            billing::revoke_subscription
        ))
        .routes(routes!(billing::preview_subscription_change))
        .routes(routes!(billing::list_orders))
        .routes(routes!(billing::get_order))
        .routes(routes!(refunds::create, refunds::list))
        .routes(routes!(seats::list, seats::assign))
        .routes(routes!(seats::get_one, seats::revoke))
        .routes(routes!(seats::resend))
        .routes(routes!(seats::transfer))
        .routes(routes!(seats::audit_log))
        .routes(routes!(seats::claim_info))
        .routes(routes!(seats::claim))
        .routes(routes!(portal::list, portal::assign))
        .routes(routes!(portal::revoke))
        .routes(routes!(portal::resend))
        .routes(routes!(portal::transfer))
        .routes(routes!(portal::audit_log))
        .routes(routes!(portal::claimed_subscriptions))
        .routes(routes!(portal::list_subscriptions))
        .routes(routes!(
            portal::get_subscription,
            portal::update_subscription,
            portal::cancel_subscription
        ))
        .routes(routes!(portal::preview_subscription_change))
        .routes(routes!(portal::list_orders))
        .routes(routes!(portal::get_order))
        .routes(routes!(benefit_grants::list))
        .routes(routes!(license_keys::list))
        .routes(routes!(license_keys::get_one, license_keys::update))
        .routes(routes!(license_keys::get_activation))
        .routes(routes!(license_keys::validate))
        .routes(routes!(license_keys::activate))
        .routes(routes!(license_keys::deactivate))
        .routes(routes!(license_keys::public_validate))
        .routes(routes!(license_keys::public_activate))
        .routes(routes!(license_keys::public_deactivate))
        .routes(routes!(license_keys::portal_list))
        .routes(routes!(license_keys::portal_get))
        .routes(routes!(license_certificates::certificate))
        .routes(routes!(license_certificates::public_certificate))
        .routes(routes!(license_certificates::public_key))
        .routes(routes!(license_certificates::rotate))
        .routes(routes!(portal_grants::list_benefit_grants))
        .routes(routes!(portal_grants::get_benefit_grant))
        .routes(routes!(webhooks::create_endpoint, webhooks::list_endpoints))
        .routes(routes!(
            webhooks::get_endpoint,
            webhooks::update_endpoint,
            webhooks::delete_endpoint
        ))
        .routes(routes!(webhooks::reset_secret))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::redeliver))
}
