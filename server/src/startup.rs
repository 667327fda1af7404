//! Building the router (no IO) and serving it with graceful shutdown.
//!
//! One Axum router holds the REST API (`/v1`), the health probes, the `#[server]` functions
//! (`/api/...`) and the server-rendered pages; static files (`/pkg/...`) and unknown pages fall back to
//! Leptos' file-and-error handler. Around it: request ids, tracing, compression, security headers, and
//! trailing-slash normalisation (Polar's SDKs call `/v1/customers/`).

use std::{future::Future, time::Duration};

use app::{
    App,
    server::{clock::TestClock, service::Services},
    shell,
};
use axum::{
    Router,
    extract::{FromRef, Request},
    http::{HeaderName, HeaderValue, header},
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::{Layer, ServiceBuilder};
use tower_http::{
    LatencyUnit,
    compression::CompressionLayer,
    normalize_path::NormalizePathLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::rest;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// Present only in test mode (`--test-clock`).
    pub test_clock: Option<TestClock>,
    /// No SMTP server is configured: `/dev/mailbox` shows the outbox.
    pub dev_mailbox: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as one router.
pub fn build_router(state: AppState) -> Router {
    let services = state.services.clone();
    let context = move || provide_context(services.clone());
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);

    Router::new()
        .merge(rest::router(&state))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http()
                        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Millis))
                        .make_span_with(|request: &Request| {
                    let request_id = request
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("frame-ancestors 'none'"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(CompressionLayer::new()),
        )
        .with_state(state)
}

/// Serves `router` until `shutdown` resolves, then lets in-flight requests finish (at most
/// `grace_seconds`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace_seconds: u64,
) -> std::io::Result<()> {
    let app = NormalizePathLayer::trim_trailing_slash().layer(router);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(app),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stop_tx.send(());
    });
    let server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = server => result,
        () = async move {
            if stop_rx.await.is_ok() {
                tokio::time::sleep(Duration::from_secs(grace_seconds)).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!("in-flight requests did not finish within {grace_seconds} s; stopping anyway");
            Ok(())
        }
    }
}
