//! Building the router (no IO) and serving it with graceful shutdown.
//!
//! One Axum router holds the REST API (`/v1`), the health probes, the `#[server]` functions
//! (`/api/...`) and the server-rendered pages; static files (`/pkg/...`) and unknown pages fall back to
//! Leptos' file-and-error handler. Around it, in one stack (each extra `Router::layer` would box
//! every request once more): request ids, tracing (by route template, never the raw path: paths and
//! queries carry invitation tokens and checkout secrets), the guard (rate limit, body limit,
//! timeouts, idempotency keys, security headers: see `limits.rs`), compression, and trailing-slash
//! normalisation (Polar's SDKs call `/v1/customers/`).

use std::{future::Future, sync::Arc, time::Duration};

use app::{
    App,
    server::{clock::TestClock, service::Services},
    shell,
};
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRef, MatchedPath, Request},
    http::HeaderName,
    middleware,
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use leptos::{config::LeptosOptions, prelude::provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::{
    LatencyUnit,
    compression::CompressionLayer,
    normalize_path::NormalizePathLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{
    config::MailDelivery,
    limits::{self, Guard, PublicLimiter, Timeouts},
    rest::{self, gzip::GzipCopies},
};

/// What every handler can reach: a handle on [`AppParts`], so the state that axum hands each
/// request costs one reference count to clone, not a copy of every part (the options' strings,
/// the services' handles).
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The parts of the application state.
pub struct AppParts {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    /// Present only in test mode (`--test-clock`).
    pub test_clock: Option<TestClock>,
    /// Where emails go; with the development mailbox, `/dev/mailbox` shows the outbox.
    pub mail: MailDelivery,
    /// The per-address limit of the public capability endpoints (none: off).
    pub public_limiter: Option<Arc<PublicLimiter>>,
    /// The per-address limit of the public license-key calls (none: off).
    pub license_limiter: Option<Arc<PublicLimiter>>,
    /// How long requests may take.
    pub timeouts: Timeouts,
    /// The gzip copies of kept seat lists.
    pub gzip_copies: Arc<GzipCopies>,
    /// Sends the email outbox, when emails go somewhere and the mailer worker runs.
    pub mailer: Option<crate::mailer::Mailer>,
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
    // The services, and the nonce the guard made for this page's inline scripts (which names it in
    // the page's policy), replacing the one leptos makes.
    let context = move || {
        provide_context(services.clone());
        let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<leptos::nonce::Nonce>().cloned());
        if let Some(nonce) = nonce {
            provide_context(nonce);
        }
    };
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let guard = Guard {
        limiter: state.public_limiter.clone(),
        license_limiter: state.license_limiter.clone(),
        timeouts: state.timeouts,
        services: state.services.clone(),
    };

    Router::new()
        .merge(rest::router(&state))
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .on_response(
                            DefaultOnResponse::new()
                                .level(tracing::Level::INFO)
                                .latency_unit(LatencyUnit::Millis),
                        )
                        .make_span_with(request_span),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn_with_state(
                    Arc::new(guard),
                    limits::guard,
                ))
                .layer(middleware::from_fn_with_state(
                    state.services.clone(),
                    crate::portal_sign_in::take_session_token,
                ))
                .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
                .layer(CompressionLayer::new()),
        )
        .with_state(state)
}

/// The span of a request: method, the route template it matched (`/v1/customer-seats/claim/{token}`,
/// never the token itself) and its id. Unmatched paths are not named: they may be mistyped links.
fn request_span(request: &Request) -> tracing::Span {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

/// Serves `router` until `shutdown` resolves, then lets in-flight requests finish (at most
/// `grace_seconds`). Each connection must send a request's headers within `header_timeout`, also
/// when idle between requests, so silent or slow clients cannot hold connections open.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace_seconds: u64,
    header_timeout: Duration,
) -> std::io::Result<()> {
    let app = NormalizePathLayer::trim_trailing_slash().layer(router);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(header_timeout));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service =
            app.clone()
                .map_request(move |mut request: Request<hyper::body::Incoming>| {
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request.map(axum::body::Body::new)
                });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => Ok(()),
        () = tokio::time::sleep(Duration::from_secs(grace_seconds)) => {
            tracing::warn!("in-flight requests did not finish within {grace_seconds} s; stopping anyway");
            Ok(())
        }
    }
}
