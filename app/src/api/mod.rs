//! `#[server]` functions: the browser's door to the services. Each one finds [`Services`] in the
//! request context (see `Call`), calls one service function and maps its error to [`AppError`]. No
//! rules here.
//!
//! They live under `/api/...` with stable names; the REST API lives under `/v1/...`.
//!
//! [`Services`]: crate::server::service::Services

pub mod checkout;
pub mod claim;
pub mod dashboard;
pub mod portal;
pub mod theme;

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
    /// Posted by a plain HTML form (no JavaScript): the browser navigates to the answer, so the
    /// function answers with a redirect to a page showing the result.
    plain_form: bool,
    /// The request's `Cookie` headers.
    cookies: Vec<String>,
}

/// The value of cookie `name` among the request's `Cookie` headers.
#[cfg(feature = "ssr")]
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    cookie_of(
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok()),
        name,
    )
}

#[cfg(feature = "ssr")]
fn cookie_of<'a>(headers: impl Iterator<Item = &'a str>, name: &str) -> Option<String> {
    headers
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, value)| *found == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The HttpOnly cookie that carries a portal session in the browser (never a page or a URL).
#[cfg(feature = "ssr")]
pub const SESSION_COOKIE: &str = "seatkeeper_session";

/// Which requests started by other sites carry a cookie.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// Sent with no request another site starts: the dashboard's access token.
    Strict,
    /// Also sent on another site's top-level links (the merchant's app sends its customer to the
    /// portal signed in): the portal session, claimed or signed in. Never sent with another site's
    /// POST; server functions refuse those anyway (`CrossSiteRequest`, `server/src/limits.rs`),
    /// which is what keeps this cookie safe.
    Lax,
}

/// The `Set-Cookie` value that keeps `value` as cookie `name` for `max_age` seconds (0 drops it):
/// HttpOnly (no script reads it), Secure when the server is reached over HTTPS.
#[cfg(feature = "ssr")]
pub fn set_cookie_value(
    public_url: &str,
    name: &str,
    value: &str,
    max_age: i64,
    same_site: SameSite,
) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let same_site = match same_site {
        SameSite::Strict => "Strict",
        SameSite::Lax => "Lax",
    };
    format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}")
}

/// The `Set-Cookie` value that keeps a portal session `token` in the browser.
#[cfg(feature = "ssr")]
pub fn session_cookie_value(public_url: &str, token: &str) -> String {
    set_cookie_value(
        public_url,
        SESSION_COOKIE,
        token,
        crate::server::service::SESSION_TTL.num_seconds(),
        SameSite::Lax,
    )
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
        let request = use_context::<axum::http::request::Parts>();
        let over_http = request
            .as_ref()
            .is_some_and(|request| request.uri.path().starts_with("/api/"));
        let response = over_http
            .then(use_context::<leptos_axum::ResponseOptions>)
            .flatten();
        let headers = request.as_ref().map(|request| &request.headers);
        let plain_form = over_http
            && headers
                .and_then(|h| h.get(axum::http::header::ACCEPT))
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"));
        let cookies = headers
            .map(|headers| {
                headers
                    .get_all(axum::http::header::COOKIE)
                    .iter()
                    .filter_map(|value| value.to_str().ok())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            services,
            response,
            plain_form,
            cookies,
        })
    }

    /// Sends the browser to `path` (a plain form's result page): `303 See Other`.
    fn redirect(&self, path: &str) {
        if let (Some(response), Ok(location)) =
            (&self.response, axum::http::HeaderValue::from_str(path))
        {
            response.insert_header(axum::http::header::LOCATION, location);
            response.set_status(axum::http::StatusCode::SEE_OTHER);
        }
    }

    /// The value of the request's cookie `name`.
    fn cookie(&self, name: &str) -> Option<String> {
        cookie_of(self.cookies.iter().map(String::as_str), name)
    }

    /// The portal session of the request's cookie.
    fn session_cookie(&self) -> Option<String> {
        self.cookie(SESSION_COOKIE)
    }

    /// Keeps a portal session in the browser for as long as the session lasts.
    fn keep_session(&self, token: &str) {
        self.set_cookie(&session_cookie_value(self.services.public_url(), token));
    }

    /// Drops the portal session's cookie.
    fn drop_session(&self) {
        self.set_cookie(&set_cookie_value(
            self.services.public_url(),
            SESSION_COOKIE,
            "",
            0,
            SameSite::Lax,
        ));
    }

    /// Sets cookie `name` to `value` for `max_age` seconds (0 drops it), `SameSite=Strict`.
    fn keep_cookie(&self, name: &str, value: &str, max_age: i64) {
        self.set_cookie(&set_cookie_value(
            self.services.public_url(),
            name,
            value,
            max_age,
            SameSite::Strict,
        ));
    }

    fn set_cookie(&self, cookie: &str) {
        if let (Some(response), Ok(value)) =
            (&self.response, axum::http::HeaderValue::from_str(cookie))
        {
            response.append_header(axum::http::header::SET_COOKIE, value);
        }
    }

    /// The portal caller of the session cookie, if it is signed in to organization `org` (the
    /// page's slug); else 401.
    async fn portal_caller(
        &self,
        org: &str,
    ) -> Result<crate::server::service::PortalCaller, AppError> {
        use crate::server::service::ServiceError;
        let Some(token) = self.session_cookie() else {
            return Err(self.fail(ServiceError::Unauthorized("you are not signed in")));
        };
        self.services
            .session_on_pages_of(&token, org)
            .await
            .map_err(|e| self.fail(e))
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
