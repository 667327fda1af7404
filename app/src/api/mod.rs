//! `#[server]` functions: the browser's door to the services. Each one finds [`Services`] in the
//! request context, calls one service function and maps its error to [`AppError`]. No rules here.
//!
//! They live under `/api/...` with stable names; the REST API lives under `/v1/...`.
//!
//! [`Services`]: crate::server::service::Services

pub mod checkout;
pub mod claim;

use leptos::prelude::*;

use crate::model::{AppError, SystemStatus};

/// The services of this request, provided by the server's router.
#[cfg(feature = "ssr")]
fn services() -> Result<crate::server::service::Services, AppError> {
    use_context::<crate::server::service::Services>().ok_or_else(|| {
        tracing::error!("Services missing from the server function context");
        AppError {
            error: "InternalError".into(),
            detail: "The server is misconfigured.".into(),
        }
    })
}

/// The live state of the server: version, database reachability, organizations, demo.
#[server(prefix = "/api", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    Ok(services()?.system_status().await?)
}
