//! Limits that keep one client from exhausting the server: a per-client-address rate limit on the
//! public endpoints that take a capability instead of a login (a claim link, a checkout link, a
//! license key), the request body size, and how long a request may take.
//!
//! The rate limit is governor's keyed GCRA limiter (a kept crate), in this process's memory: with
//! several processes behind a load balancer each one keeps its own count, so a client gets at most
//! N times the limit. Authenticated merchant traffic (`/v1/...` with an access token) is never rate
//! limited here: its cost is bounded by the token's owner.

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use app::server::service::ServiceError;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use leptos::nonce::Nonce;

use crate::rest::error::ApiError;

/// Largest request body accepted (413 above it). The largest legitimate body (a product with many
/// tiers and benefits, seat metadata of 1 KB) is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long each part of a request may take (`--request-timeout`, `--header-timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// A request still unanswered after this is abandoned with a 503.
    pub request: Duration,
    /// How long a client may take to send a request body.
    pub body: Duration,
    /// How long a connection may wait for a request's headers, including while idle between
    /// requests of a kept-alive connection: a slow or silent client holds no connection longer.
    pub header: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request: Duration::from_secs(30),
            body: Duration::from_secs(15),
            header: Duration::from_secs(30),
        }
    }
}

/// Which address a request comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientAddress {
    /// The TCP peer (the default; right when clients connect directly).
    Peer,
    /// The last address in `X-Forwarded-For`: the one the proxy in front of this server saw. Only
    /// behind a proxy that appends to that header, else clients choose their own key.
    ForwardedFor,
}

/// The per-client limit of the public capability endpoints.
pub struct PublicLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    client_address: ClientAddress,
    checks: AtomicU64,
}

/// Every this many checks, addresses whose budget is full again are forgotten.
const PRUNE_EVERY: u64 = 4096;

impl PublicLimiter {
    /// `per_minute` requests per minute per address on average, in bursts of up to a quarter of
    /// that (at least 10). None when `per_minute` is 0 (rate limiting off).
    pub fn new(per_minute: u32, client_address: ClientAddress) -> Option<Arc<Self>> {
        let rate = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new((per_minute / 4).max(10)).unwrap_or(rate);
        let quota = Quota::per_minute(rate).allow_burst(burst);
        Some(Arc::new(Self {
            limiter: RateLimiter::keyed(quota),
            client_address,
            checks: AtomicU64::new(0),
        }))
    }

    /// The address a request is counted against.
    fn client_of(&self, request: &Request) -> Option<IpAddr> {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let client = match self.client_address {
            ClientAddress::Peer => peer,
            // The last hop only (what the proxy saw); if it does not parse, the peer, never an
            // earlier hop the client could have written.
            ClientAddress::ForwardedFor => request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next_back())
                .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
                .or(peer),
        };
        client.map(network_of)
    }

    /// Ok, or the number of seconds until this client may try again.
    fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

/// The key a client address is counted under: an IPv4 address, or an IPv6 address's /64 network (one
/// subscriber usually holds a whole /64, so counting single addresses would not limit anyone).
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
    }
}

/// Whether `path` is a public endpoint whose caller proves nothing but a capability in the request
/// (an invitation token, a checkout client secret, a sign-in code), or that sends an email to an
/// address the caller names: where guessing or hammering must be slowed.
pub fn is_public_capability(path: &str) -> bool {
    path.starts_with("/v1/customer-seats/claim")
        || path.starts_with("/v1/customer-portal/customer-session/request")
        || path.starts_with("/v1/customer-portal/customer-session/authenticate")
        || path.starts_with("/v1/checkouts/client/")
        || path.starts_with("/checkout/")
        || path.ends_with("/portal/claim")
        || is_public_license_call(path)
        || matches!(
            path,
            "/api/claim"
                | "/api/claim_info"
                | "/api/checkout"
                | "/api/checkout_pay"
                | "/api/portal_request_code"
                | "/api/portal_code_sign_in"
        )
}

/// Whether `path` is one of the public license-key calls (validate, activate, deactivate with only
/// the key), which apps make routinely: counted in a bucket of their own ([`LICENSE_CALLS_FACTOR`]
/// times the public rate), so an office of app users behind one address neither runs out nor eats
/// the budget of claim and checkout links.
pub fn is_public_license_call(path: &str) -> bool {
    matches!(
        path,
        "/v1/customer-portal/license-keys/validate"
            | "/v1/customer-portal/license-keys/activate"
            | "/v1/customer-portal/license-keys/deactivate"
            | "/v1/customer-portal/license-keys/certificate"
    ) || (path.starts_with("/v1/organizations/") && path.ends_with("/license-public-key"))
}

/// How many times the public rate one address may make public license-key calls.
pub const LICENSE_CALLS_FACTOR: u32 = 10;

/// What the [`guard`] middleware needs.
#[derive(Clone)]
pub struct Guard {
    /// The per-address limit of the public capability endpoints (none: off).
    pub limiter: Option<Arc<PublicLimiter>>,
    /// The per-address limit of the public license-key calls (none: off).
    pub license_limiter: Option<Arc<PublicLimiter>>,
    pub timeouts: Timeouts,
    /// For `Idempotency-Key` (see `rest::idempotency`).
    pub services: app::server::service::Services,
}

/// Middleware, one for every request (one layer, so the hot path pays for one): the rate limit of
/// the public capability endpoints (429 `TooManyRequests` with `Retry-After` past it), the body
/// limit, `Idempotency-Key` on the API's `POST`s, the timeouts, and the security headers.
///
/// A body declared larger than [`MAX_BODY_BYTES`] is refused before it is read (413); any other body
/// is cut off past that size (reading it fails, which the extractors answer with 413) and must arrive
/// within [`Timeouts::body`]; a request still unanswered after [`Timeouts::request`] is abandoned
/// with a 503. Every refusal has the API's JSON error body.
pub async fn guard(State(guard): State<Arc<Guard>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_static_asset = path.starts_with("/pkg/") || path.starts_with("/favicon");
    let page_nonce = may_be_page(&request, is_static_asset).then(Nonce::new);
    if let Some(nonce) = &page_nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let limiter = if is_public_license_call(request.uri().path()) {
        guard.license_limiter.as_ref()
    } else if is_public_capability(request.uri().path()) {
        guard.limiter.as_ref()
    } else {
        None
    };
    if let Some(limiter) = limiter
        && let Some(client) = limiter.client_of(&request)
        && let Err(retry_after_secs) = limiter.check(client)
    {
        return ApiError(ServiceError::RateLimited {
            retry_after_secs,
            detail: format!(
                "too many requests from your address; retry in {retry_after_secs} seconds"
            ),
        })
        .into_response();
    }
    if let Some(refused) = cross_site_refusal(&request, guard.services.public_url()) {
        return refusal(refused);
    }
    let headers = request.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return refusal(ServiceError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    // A request that announces no body (most GETs: the seat list's hot path) needs no wrapping.
    let may_have_body = declared.is_some_and(|length| length > 0)
        || headers.contains_key(header::TRANSFER_ENCODING)
        || !matches!(*request.method(), Method::GET | Method::HEAD);
    let request = if may_have_body {
        let body = guard.timeouts.body;
        request.map(|inner| {
            axum::body::Body::new(http_body_util::Limited::new(
                tower_http::timeout::TimeoutBody::new(body, inner),
                MAX_BODY_BYTES,
            ))
        })
    } else {
        request
    };
    // A key is kept for a caller who authenticates, or who holds a capability (the public POSTs,
    // which are rate limited); a stranger's POST elsewhere stores nothing. Never for signing in
    // with a code: a replayed key would hand out the session of a code already spent.
    let idempotent = request.method() == Method::POST
        && request.uri().path().starts_with("/v1/")
        && request.headers().contains_key("idempotency-key")
        && !request
            .uri()
            .path()
            .starts_with("/v1/customer-portal/customer-session/")
        && (request.headers().contains_key(header::AUTHORIZATION)
            || is_public_capability(request.uri().path()));
    let answer = async {
        if idempotent {
            crate::rest::idempotency::run(&guard.services, request, next).await
        } else {
            next.run(request).await
        }
    };
    let mut response = match tokio::time::timeout(guard.timeouts.request, answer).await {
        Ok(response) => response,
        Err(_) => {
            let seconds = guard.timeouts.request.as_secs();
            tracing::warn!("request abandoned after {seconds} seconds");
            refusal(ServiceError::TimedOut { seconds })
        }
    };
    secure_headers(&mut response, is_static_asset, page_nonce.as_ref());
    response
}

/// A request that changes something through the web app's server functions (`/api/...`, which
/// read the portal's and the dashboard's cookies) from a page of another site: refused, whatever
/// its cookies' `SameSite` would let through (a form on another site could otherwise sign a
/// browser in to someone else's dashboard). Browsers say where a request comes from in
/// `Sec-Fetch-Site` (only `same-origin` passes); a browser that does not send it is judged by
/// `Origin`, which must then be this server's (as reached, `Host`, or its public URL). `Origin:
/// null` passes: this site's own plain forms send it, their pages' referrer policy being
/// `no-referrer`. A request with neither header is not a browser's and carries no victim's cookie.
fn cross_site_refusal(request: &Request, public_url: &str) -> Option<ServiceError> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || !request.uri().path().starts_with("/api/")
    {
        return None;
    }
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let same_site = match header(header::HeaderName::from_static("sec-fetch-site")) {
        Some(site) => site == "same-origin",
        None => match header(header::ORIGIN) {
            None | Some("null") => true,
            Some(origin) => {
                let host = header(header::HOST).unwrap_or_default();
                origin.trim_end_matches('/') == public_url
                    || origin
                        .split_once("://")
                        .is_some_and(|(_, authority)| !host.is_empty() && authority == host)
            }
        },
    };
    (!same_site).then(|| {
        ServiceError::refused(
            "CrossSiteRequest",
            "this request came from a page of another site; use this site's own pages",
        )
    })
}

/// Whether a request may be answered with a page (a GET outside the API and the static files): it
/// gets a fresh nonce, which the render puts on the page's inline scripts (see `startup`) and the
/// page's policy names.
fn may_be_page(request: &Request, is_static_asset: bool) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), Method::GET | Method::HEAD)
        && !is_static_asset
        && !path.starts_with("/v1/")
        && !path.starts_with("/api/")
}

/// The policy of responses that are not pages (a page's names its nonce: see `app::page_policy`).
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The security headers every response carries unless it set its own: a Content-Security-Policy
/// (a page's own, naming the request's nonce, on an HTML answer to a request that got one; the
/// API's on everything else), `Referrer-Policy: no-referrer` (claim, checkout and portal addresses carry tokens),
/// `X-Content-Type-Options: nosniff`, and `Cache-Control: no-store` on everything but the static
/// files (API answers and pages carry tokens and personal data).
fn secure_headers(response: &mut Response, is_static_asset: bool, page_nonce: Option<&Nonce>) {
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if let Some(nonce) = page_nonce.filter(|_| is_html)
        && !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(policy) = HeaderValue::from_str(&app::page_policy(nonce))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, API_CSP),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if !is_static_asset && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// An error answered before the request reached its handler; the connection is closed after it
/// (the rest of the request may still be on its way).
fn refusal(err: ServiceError) -> Response {
    let mut response = ApiError(err).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(forwarded: Option<&str>) -> Request {
        let mut request = Request::new(axum::body::Body::empty());
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
        if let Some(value) = forwarded {
            request
                .headers_mut()
                .insert("x-forwarded-for", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn the_public_capability_endpoints_are_the_claim_and_checkout_client_ones() {
        for path in [
            "/v1/customer-seats/claim",
            "/v1/customer-seats/claim/skp_inv_x",
            "/v1/checkouts/client/skp_chk_x",
            "/v1/checkouts/client/skp_chk_x/confirm",
            "/checkout/skp_chk_x",
            "/acme/portal/claim",
            "/api/claim",
            "/api/checkout_pay",
        ] {
            assert!(is_public_capability(path), "{path}");
        }
        for path in [
            "/v1/customer-seats",
            "/v1/checkouts",
            "/",
            "/api/system_status",
        ] {
            assert!(!is_public_capability(path), "{path}");
        }
    }

    #[test]
    fn a_client_past_its_burst_is_told_how_long_to_wait_and_others_are_not() {
        let limiter = PublicLimiter::new(40, ClientAddress::Peer).unwrap();
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..10 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!((1..=2).contains(&wait), "{wait}");
        assert!(limiter.check(b).is_ok());
    }

    fn api_post(origin: Option<&str>, site: Option<&str>, host: &str) -> Request {
        let mut builder = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/dashboard_sign_in")
            .header(header::HOST, host);
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        if let Some(site) = site {
            builder = builder.header("sec-fetch-site", site);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn a_server_function_called_from_another_sites_page_is_refused() {
        let public = "https://seats.example.com";
        let host = "seats.example.com";
        for (origin, site) in [
            (Some("https://evil.example"), None),
            (Some("http://seats.example.com.evil.example"), None),
            (Some("null"), Some("cross-site")),
            (Some("https://evil.example"), Some("cross-site")),
            (Some("https://a.example.com"), Some("same-site")),
        ] {
            assert!(
                cross_site_refusal(&api_post(origin, site, host), public).is_some(),
                "{origin:?} {site:?}"
            );
        }
        for (origin, site, host) in [
            (Some("https://seats.example.com"), None, "internal:3000"),
            (Some("http://127.0.0.1:3000"), None, "127.0.0.1:3000"),
            // This site's own plain form under `Referrer-Policy: no-referrer`.
            (Some("null"), Some("same-origin"), host),
            (Some("null"), None, host),
            (None, None, "anything"),
        ] {
            assert!(
                cross_site_refusal(&api_post(origin, site, host), public).is_none(),
                "{origin:?} {site:?} {host}"
            );
        }
        let mut get = api_post(Some("https://evil.example"), Some("cross-site"), host);
        *get.method_mut() = Method::GET;
        assert!(
            cross_site_refusal(&get, public).is_none(),
            "reads are not refused"
        );
    }

    #[test]
    fn a_rate_of_zero_turns_rate_limiting_off() {
        assert!(PublicLimiter::new(0, ClientAddress::Peer).is_none());
    }

    #[test]
    fn the_client_is_the_peer_unless_told_to_trust_the_proxy() {
        let peer = PublicLimiter::new(60, ClientAddress::Peer).unwrap();
        assert_eq!(
            peer.client_of(&request(Some("203.0.113.9"))),
            Some([10, 0, 0, 1].into())
        );
        let proxied = PublicLimiter::new(60, ClientAddress::ForwardedFor).unwrap();
        // The last hop is the one the proxy added; what the client wrote before it is ignored.
        assert_eq!(
            proxied.client_of(&request(Some("198.51.100.7, 203.0.113.9"))),
            Some([203, 0, 113, 9].into())
        );
        assert_eq!(
            proxied.client_of(&request(Some("198.51.100.7, unknown"))),
            Some([10, 0, 0, 1].into()),
            "an unreadable last hop is the peer, not an earlier hop"
        );
        assert_eq!(
            proxied.client_of(&request(None)),
            Some([10, 0, 0, 1].into())
        );
        let v6: IpAddr = "2001:db8:1:2:aaaa:bbbb:cccc:dddd".parse().unwrap();
        assert_eq!(network_of(v6), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
    }
}
