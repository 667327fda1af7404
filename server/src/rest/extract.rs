//! Request extractors whose failures speak the API's error language: a malformed body, path or query
//! is a 422 `RequestValidationError` naming the location (`["body", "seats"]`, `["path", "id"]`,
//! `["query", "page"]`), and a missing or bad token a 401. Handlers use these instead of axum's.

use app::{
    model::LocSegment,
    server::service::{Credential, OrganizationCaller, PortalCaller, ServiceError},
};
use axum::{
    extract::{FromRequest, FromRequestParts, RawPathParams, Request, rejection::PathRejection},
    http::{header, request::Parts},
};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::startup::AppState;

/// A JSON body. Malformed JSON, a wrong type, a missing field or an unknown enum value is a 422
/// whose `loc` points at the offending field.
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if let Some(ct) = content_type {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if essence != "application/json" && !essence.ends_with("+json") {
                return Err(ApiError::validation(
                    vec!["body".into()],
                    format!(
                        "expected a JSON body (Content-Type: application/json), got {essence:?}"
                    ),
                    "model_attributes_type",
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError(ServiceError::PayloadTooLarge {
                    limit: crate::limits::MAX_BODY_BYTES,
                });
            }
            ApiError::validation(
                vec!["body".into()],
                rejection.body_text(),
                "body_unreadable",
            )
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// Deserializes a JSON body, turning the first problem into a located validation error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::validation(
            vec!["body".into()],
            "a JSON body is required",
            "missing",
        ));
    }
    if has_escaped_nul(bytes) {
        return Err(nul_refused("body"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let mut loc = vec![LocSegment::from("body")];
        let field_path = path_segments(err.path());
        let inner = err.into_inner();
        let message = inner.to_string();
        let kind = match inner.classify() {
            // A syntax error has no field to point at: the message says where (line, column).
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "json_invalid"
            }
            serde_json::error::Category::Io => "body_unreadable",
            serde_json::error::Category::Data => {
                loc.extend(field_path);
                if let Some(field) = missing_field(&message) {
                    loc.push(LocSegment::Key(field));
                    "missing"
                } else {
                    "value_error"
                }
            }
        };
        ApiError::validation(loc, message, kind)
    })?;
    deserializer.end().map_err(|err| {
        ApiError::validation(vec!["body".into()], err.to_string(), "json_invalid")
    })?;
    Ok(value)
}

fn path_segments(path: &serde_path_to_error::Path) -> Vec<LocSegment> {
    path.iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Seq { index } => Some(LocSegment::Index(*index as u64)),
            serde_path_to_error::Segment::Map { key } => Some(LocSegment::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => {
                Some(LocSegment::Key(variant.clone()))
            }
            serde_path_to_error::Segment::Unknown => None,
        })
        .collect()
}

/// `missing field `email`` → `email`.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// Path parameters. A value that does not parse (e.g. a malformed UUID) is a 422 at `["path", name]`.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => {
                let names: Vec<String> = RawPathParams::from_request_parts(parts, state)
                    .await
                    .map(|params| params.iter().map(|(name, _)| name.to_owned()).collect())
                    .unwrap_or_default();
                Err(path_rejection(rejection, &names))
            }
        }
    }
}

fn path_rejection(rejection: PathRejection, names: &[String]) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(err) = rejection else {
        return ApiError::validation(vec!["path".into()], rejection.body_text(), "value_error");
    };
    let (key, message) = match err.kind() {
        ErrorKind::ParseErrorAtKey {
            key,
            value,
            expected_type,
        } => (
            Some(key.clone()),
            format!("{value:?} is not a valid {}", friendly_type(expected_type)),
        ),
        ErrorKind::ParseErrorAtIndex {
            index,
            value,
            expected_type,
        } => (
            names.get(*index).cloned(),
            format!("{value:?} is not a valid {}", friendly_type(expected_type)),
        ),
        ErrorKind::ParseError {
            value,
            expected_type,
        } => (
            None,
            format!("{value:?} is not a valid {}", friendly_type(expected_type)),
        ),
        ErrorKind::DeserializeError {
            key,
            value,
            message,
        } => (
            Some(key.clone()),
            format!("{value:?} is not valid: {message}"),
        ),
        ErrorKind::Message(message) => (None, message.clone()),
        other => (None, other.to_string()),
    };
    let key = key.or_else(|| (names.len() == 1).then(|| names[0].clone()));
    let mut loc = vec![LocSegment::from("path")];
    loc.extend(key.map(LocSegment::Key));
    let kind = if message.contains("UUID") || message.to_lowercase().contains("uuid") {
        "uuid_parsing"
    } else {
        "value_error"
    };
    ApiError::validation(loc, message, kind)
}

fn friendly_type(rust_type: &str) -> &str {
    rust_type.rsplit("::").next().unwrap_or(rust_type)
}

/// Query parameters. A value that does not parse is a 422 at `["query", name]`.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if has_nul_value(query) {
            return Err(nul_refused("query"));
        }
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Query)
            .map_err(|err| {
                let mut loc = vec![LocSegment::from("query")];
                loc.extend(path_segments(err.path()));
                let message = err.into_inner().to_string();
                let kind = if let Some(field) = missing_field(&message) {
                    loc.push(LocSegment::Key(field));
                    "missing"
                } else if message.to_lowercase().contains("uuid") {
                    "uuid_parsing"
                } else {
                    "value_error"
                };
                ApiError::validation(loc, message, kind)
            })
    }
}

/// The query of a list endpoint, as the official SDKs send it. Repeated keys fill lists
/// (`?status=paid&status=pending`), `metadata[key]=value` pairs are collected apart (for the lists
/// that filter by metadata), and a key the list does not know is a 422 naming it (`T` denies
/// unknown fields): a filter is never silently ignored.
pub struct ListQuery<T> {
    pub params: T,
    /// `metadata[key]=value` pairs, in the order given.
    pub metadata: Vec<(String, String)>,
}

impl<S, T> FromRequestParts<S> for ListQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = form_urlencoded::parse(query.as_bytes()).count();
        if pairs > MAX_QUERY_VALUES {
            return Err(ApiError::validation(
                vec![LocSegment::from("query")],
                format!("a list takes at most {MAX_QUERY_VALUES} query values (got {pairs})"),
                "too_long",
            ));
        }
        if has_nul_value(query) {
            return Err(nul_refused("query"));
        }
        let mut metadata = Vec::new();
        let mut rest = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            match key
                .strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
            {
                Some(name) => metadata.push((name.to_owned(), value.into_owned())),
                None => {
                    rest.append_pair(&key, &value);
                }
            }
        }
        let rest = rest.finish();
        let deserializer = serde_html_form::Deserializer::from_bytes(rest.as_bytes());
        let params = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let mut loc = vec![LocSegment::from("query")];
            loc.extend(path_segments(err.path()));
            let message = err.into_inner().to_string();
            if let Some(name) = unknown_field(&message) {
                return ApiError::validation(
                    vec![LocSegment::from("query"), LocSegment::Key(name.clone())],
                    format!("this list has no filter `{name}`: {message}"),
                    "extra_forbidden",
                );
            }
            let kind = if let Some(field) = missing_field(&message) {
                loc.push(LocSegment::Key(field));
                "missing"
            } else if message.to_lowercase().contains("uuid") {
                "uuid_parsing"
            } else {
                "value_error"
            };
            ApiError::validation(loc, message, kind)
        })?;
        Ok(ListQuery { params, metadata })
    }
}

/// The most values a list's query may carry (filters, sort keys and metadata together): far more
/// than any real query, far fewer than a database's bind limit.
const MAX_QUERY_VALUES: usize = 100;

/// ``unknown field `x`, expected ...`` → `x`.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// The authenticated organization behind `Authorization: Bearer skp_oat_...`.
pub struct OrgAuth(pub OrganizationCaller);

impl FromRequestParts<AppState> for OrgAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?;
        Ok(OrgAuth(
            state.services.authenticate_access_token(token).await?,
        ))
    }
}

/// The portal session behind `Authorization: Bearer skp_cst_...`.
pub struct PortalAuth(pub PortalCaller);

impl FromRequestParts<AppState> for PortalAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?;
        Ok(PortalAuth(
            state.services.authenticate_session(token).await?,
        ))
    }
}

/// The raw token of `Authorization: Bearer <token>`, for a handler that checks it in the same read
/// as what it answers (the seat list and assign, merchant and portal: see [`after_credential`]). A
/// missing or malformed header is the same 401 as with [`OrgAuth`].
pub struct Bearer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Bearer(bearer_token(parts)?.to_owned()))
    }
}

/// A request's input, or, when it is malformed, its error once `credential` has been checked: a
/// bad token is a 401 before a malformed body or query is a 422 or 400, as on every route (where
/// the handler reads the credential itself rather than through [`OrgAuth`] or [`PortalAuth`]).
pub async fn after_credential<T>(
    state: &AppState,
    credential: Credential<'_>,
    input: Result<T, ApiError>,
) -> Result<T, ApiError> {
    match input {
        Ok(input) => Ok(input),
        Err(malformed) => {
            state.services.authenticate(credential).await?;
            Err(malformed)
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let header =
        parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(ApiError(ServiceError::Unauthorized(
                "missing Authorization header: send `Authorization: Bearer <access token>`",
            )))?;
    let value = header.to_str().map_err(|_| {
        ApiError(ServiceError::Unauthorized(
            "the Authorization header is not valid text",
        ))
    })?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError(ServiceError::Unauthorized(
            "the Authorization header must be `Bearer <access token>`",
        )));
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::server::service::ServiceError;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        seats: u32,
        email: String,
    }

    fn issue(err: ApiError) -> app::model::ValidationIssue {
        match err.0 {
            ServiceError::Validation(mut issues) => issues.remove(0),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_wrong_type_is_located_at_its_field() {
        let err = parse_json::<Body>(br#"{"seats": "five", "email": "a@b.c"}"#).unwrap_err();
        let issue = issue(err);
        assert_eq!(
            issue.loc,
            vec![LocSegment::from("body"), LocSegment::from("seats")]
        );
        assert_eq!(issue.kind, "value_error");
    }

    #[test]
    fn a_missing_field_is_located_at_the_missing_field() {
        let issue = issue(parse_json::<Body>(br#"{"seats": 5}"#).unwrap_err());
        assert_eq!(
            issue.loc,
            vec![LocSegment::from("body"), LocSegment::from("email")]
        );
        assert_eq!(issue.kind, "missing");
    }

    #[test]
    fn malformed_json_is_a_json_invalid_issue() {
        let issue = issue(parse_json::<Body>(br#"{"seats": 5,"#).unwrap_err());
        assert_eq!(issue.kind, "json_invalid");
    }

    #[test]
    fn an_empty_body_is_reported_as_missing() {
        assert_eq!(
            issue(parse_json::<Body>(b"  ").unwrap_err()).kind,
            "missing"
        );
    }

    #[test]
    fn trailing_garbage_after_the_json_is_refused() {
        assert_eq!(
            issue(parse_json::<Body>(br#"{"seats": 5, "email": "x"} x"#).unwrap_err()).kind,
            "json_invalid"
        );
    }
}

/// Whether a JSON text holds an escaped NUL character (`\u0000`, its backslash not itself escaped):
/// a raw NUL byte is not valid JSON, and a NUL in a stored text is refused by PostgreSQL and
/// breaks C strings elsewhere, so no text the API takes may hold one.
fn has_escaped_nul(json: &[u8]) -> bool {
    let needle = b"u0000";
    json.windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .any(|(at, _)| {
            let backslashes = json[..at].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes % 2 == 1
        })
}

/// Whether a query string has a key or value with a NUL character (`%00`).
fn has_nul_value(query: &str) -> bool {
    form_urlencoded::parse(query.as_bytes())
        .any(|(key, value)| key.contains('\0') || value.contains('\0'))
}

fn nul_refused(place: &str) -> ApiError {
    ApiError::validation(
        vec![LocSegment::from(place)],
        "text must not contain the NUL character (\\u0000)",
        "string_type",
    )
}

#[cfg(test)]
mod nul_tests {
    use super::*;

    #[test]
    fn an_escaped_nul_is_found_but_an_escaped_backslash_before_u0000_is_text() {
        assert!(has_escaped_nul(br#"{"name": "a\u0000b"}"#));
        assert!(has_escaped_nul(br#"{"name": "\\\u0000"}"#));
        assert!(!has_escaped_nul(br#"{"name": "a\\u0000b"}"#));
        assert!(!has_escaped_nul(br#"{"name": "u0000"}"#));
    }

    #[test]
    fn a_nul_in_a_query_key_or_value_is_found() {
        assert!(has_nul_value("query=a%00b"));
        assert!(has_nul_value("a%00=1"));
        assert!(!has_nul_value("query=a%2500b"));
    }
}
