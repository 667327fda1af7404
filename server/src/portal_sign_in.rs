//! The portal's sign-in link: `GET /{org_slug}/portal?customer_session_token=...` (what the API's
//! `customer_portal_url` names). Before any page renders, the token moves into the session's
//! HttpOnly cookie and the browser is sent to the same address without it (303), so the token
//! never stays in the address bar, the history, or a `Referer` the page's links would send.
//!
//! A token that is unknown, expired or of another organization sets no cookie; the page it lands
//! on says the link has expired. Any other request passes through untouched.
//!
//! The link is a credential, as Polar's is: whoever follows it is signed in as its session, even
//! if another site sent them there with a link of its own (a browser signed in as someone else
//! would then act as them: the page always says who is signed in). Only its holder should get it.

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use app::server::service::Services;

/// The query parameter of a sign-in link.
const TOKEN_PARAMETER: &str = "customer_session_token";

/// Signs in from a portal link's token, or passes the request on.
pub async fn take_session_token(
    State(services): State<Services>,
    request: Request,
    next: Next,
) -> Response {
    let Some((slug, token)) = sign_in_link(&request) else {
        return next.run(request).await;
    };
    let signed_in = services.session_on_pages_of(&token, &slug).await.is_ok();
    let location = if signed_in {
        format!("/{slug}/portal")
    } else {
        format!("/{slug}/portal?signin=expired")
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, location);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if signed_in
        && let Ok(cookie) = HeaderValue::from_str(&app::api::session_cookie_value(
            services.public_url(),
            &token,
        ))
    {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The organization slug and the token of a `GET /{slug}/portal?customer_session_token=...`.
fn sign_in_link(request: &Request) -> Option<(String, String)> {
    if request.method() != axum::http::Method::GET {
        return None;
    }
    let path = request.uri().path().trim_end_matches('/');
    let slug = path.strip_prefix('/')?.strip_suffix("/portal")?;
    let slug = app::model::Slug::parse(slug).ok()?;
    let token = request
        .uri()
        .query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == TOKEN_PARAMETER)
        .map(|(_, value)| value)?;
    // A session token is URL-safe as issued; anything else is not one.
    let token = token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .then(|| token.to_owned())?;
    Some((slug.to_string(), token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(uri: &str) -> Request {
        Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn only_a_portal_address_with_a_token_is_a_sign_in_link() {
        assert_eq!(
            sign_in_link(&get("/acme/portal?customer_session_token=skp_cst_abc")),
            Some(("acme".into(), "skp_cst_abc".into()))
        );
        assert_eq!(
            sign_in_link(&get("/acme/portal?x=1&customer_session_token=skp_cst_abc")),
            Some(("acme".into(), "skp_cst_abc".into()))
        );
        assert_eq!(sign_in_link(&get("/acme/portal")), None);
        assert_eq!(
            sign_in_link(&get("/acme/portal/seats?customer_session_token=a")),
            None
        );
        assert_eq!(
            sign_in_link(&get("/a/b/portal?customer_session_token=a")),
            None
        );
        assert_eq!(
            sign_in_link(&get("/acme/portal?customer_session_token=a%22b")),
            None
        );
    }
}
