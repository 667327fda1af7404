//! Errors into HTTP responses, once: every failure of a handler or an extractor is an [`ApiError`],
//! whose status and body come from [`ServiceError::status`] and [`ServiceError::body`]. Server faults
//! are logged with their cause chain; the client sees only a neutral sentence.

use app::{
    model::{ErrorBody, LocSegment, ValidationIssue},
    server::service::ServiceError,
};
use axum::{
    Json,
    extract::OriginalUri,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// A failed API request.
#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        Self(err)
    }
}

impl ApiError {
    /// A 422 with one validation issue.
    pub fn validation(loc: Vec<LocSegment>, msg: impl Into<String>, kind: &str) -> Self {
        Self(ServiceError::Validation(vec![ValidationIssue {
            loc,
            msg: msg.into(),
            kind: kind.to_owned(),
        }]))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        if err.is_server_fault() {
            tracing::error!(error = %error_chain(&err), "request failed");
        }
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(err.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = err.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `err: cause: cause...`, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Fallback for `/v1/...` paths that do not exist: a JSON 404.
pub async fn unknown_path(OriginalUri(uri): OriginalUri) -> Response {
    let detail = format!("no API endpoint at {}", uri.path());
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody::message("ResourceNotFound", detail)),
    )
        .into_response()
}

/// Fallback for a known `/v1/...` path called with the wrong method: a JSON 405.
pub async fn method_not_allowed() -> Response {
    let detail = "this endpoint does not accept this HTTP method";
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(ErrorBody::message("MethodNotAllowed", detail)),
    )
        .into_response()
}
