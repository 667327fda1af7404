//! `#[server]` functions: the browser's door to the services. Each one finds [`Services`] in the
//! request context (see `Call`), calls one service function and maps its error to [`AppError`]. No
//! rules here.
//!
//! They live under `/api/...` with stable names; the REST API lives under `/v1/...`.
//!
//! [`Services`]: crate::server::service::Services

pub mod checkout;
pub mod claim;

use leptos::prelude::*;

use crate::model::{AppError, SystemStatus};

/// A server function's call: the services, and, when the function was called over HTTP
/// (`/api/...`), the response whose status an error sets (a declined card is a 400, not the 500 a
/// server function answers by default). Inside a page's server-side render the page decides its own
/// status (streaming may have sent it already), so the response is left alone.
///
/// Both come from the request context, read once when the function starts. Reading the context
/// later, after an `await`, is not safe: when the client of a page goes away, leptos drops the
/// page's reactive owners while its data is still loading, and a context lookup racing that drop
/// can deadlock on the owner's lock (seen in CI as a page request that never answered).
#[cfg(feature = "ssr")]
struct Call {
    services: crate::server::service::Services,
    response: Option<leptos_axum::ResponseOptions>,
}

#[cfg(feature = "ssr")]
impl Call {
    fn start() -> Result<Self, AppError> {
        let services = use_context::<crate::server::service::Services>().ok_or_else(|| {
            tracing::error!("Services missing from the server function context");
            AppError {
                error: "InternalError".into(),
                detail: "The server is misconfigured.".into(),
            }
        })?;
        let over_http = use_context::<axum::http::request::Parts>()
            .is_some_and(|request| request.uri.path().starts_with("/api/"));
        let response = over_http
            .then(use_context::<leptos_axum::ResponseOptions>)
            .flatten();
        Ok(Self { services, response })
    }

    /// `err` as the function's error, with its status on the response when called over HTTP.
    fn fail(&self, err: crate::server::service::ServiceError) -> AppError {
        if let (Some(response), Ok(status)) = (
            &self.response,
            axum::http::StatusCode::from_u16(err.status()),
        ) {
            response.set_status(status);
        }
        AppError::from(err)
    }
}

/// The live state of the server: version, database reachability, organizations, demo.
#[server(prefix = "/api", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    let call = Call::start()?;
    call.services
        .system_status()
        .await
        .map_err(|e| call.fail(e))
}
