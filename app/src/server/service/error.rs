//! [`ServiceError`]: the domain vocabulary of failures. Each variant has exactly one HTTP status and
//! one wire error name, defined here and nowhere else; the REST layer and the server functions only
//! serialize what [`ServiceError::status`] and [`ServiceError::body`] say.

use crate::{
    model::{AppError, ErrorBody, ValidationIssue},
    server::store::StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No token, or one that is unknown, revoked or expired.
    #[error("authentication required: {0}")]
    Unauthorized(&'static str),
    /// A one-time credential that is not a token (a sign-in code) is unknown, used or expired
    /// (401), with a specific wire name, e.g. `CustomerSessionCodeInvalidOrExpired`.
    #[error("{error}: {detail}")]
    BadCredential {
        error: &'static str,
        detail: &'static str,
    },
    /// A valid caller without the right to do this.
    #[error("not permitted: {0}")]
    NotPermitted(String),
    /// The object is in a state that refuses this (403), with a specific wire name, e.g.
    /// `AlreadyCanceledSubscription`.
    #[error("{error}: {detail}")]
    Refused { error: &'static str, detail: String },
    /// A charge was refused by the payment provider (402); nothing changed.
    #[error("payment failed: {0}")]
    PaymentFailed(String),
    /// The object does not exist, or belongs to another organization.
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// A named object the request refers to does not exist (404), with a specific wire name, e.g.
    /// `MemberNotFound`.
    #[error("{error}: {detail}")]
    Missing { error: &'static str, detail: String },
    /// A domain rule refused the request (400); `error` is the wire name, e.g. `SeatNotAvailable`.
    #[error("{error}: {detail}")]
    Rejected { error: &'static str, detail: String },
    /// The request clashes with another one still being processed (409); retry later.
    #[error("{error}: {detail}")]
    Conflict { error: &'static str, detail: String },
    /// The request is malformed (422).
    #[error("invalid request")]
    Validation(Vec<ValidationIssue>),
    /// The request body is larger than the server accepts (413).
    #[error("request body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The request took too long and was abandoned (503).
    #[error("request abandoned after {seconds} s")]
    TimedOut { seconds: u64 },
    /// Too many requests from this client (429); retry after that many seconds.
    #[error("rate limited: {detail}")]
    RateLimited {
        retry_after_secs: u64,
        detail: String,
    },
    /// The payment provider could not say whether a charge happened (503); the sweeper settles the
    /// payment later, so retrying never charges twice.
    #[error("payment outcome unknown")]
    PaymentPending,
    /// The database cannot be reached right now (503).
    #[error("service unavailable")]
    Unavailable(#[source] StoreError),
    /// Anything else: logged with its cause, never shown.
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => Self::Unavailable(err),
            StoreError::NulInText => Self::Validation(vec![crate::model::ValidationIssue {
                loc: vec!["request".into()],
                msg: "text must not contain the NUL character (\\u0000)".into(),
                kind: "string_type".into(),
            }]),
            other => Self::Internal(other),
        }
    }
}

impl ServiceError {
    pub fn not_found(resource: &'static str) -> Self {
        Self::NotFound { resource }
    }

    /// A 400 refusal named `error`.
    pub fn rejected(error: &'static str, detail: impl Into<String>) -> Self {
        Self::Rejected {
            error,
            detail: detail.into(),
        }
    }

    /// A 403 refusal named `error`.
    pub fn refused(error: &'static str, detail: impl Into<String>) -> Self {
        Self::Refused {
            error,
            detail: detail.into(),
        }
    }

    /// A 422 for one field of the request body.
    pub fn invalid_field(field: &str, msg: impl Into<String>) -> Self {
        Self::Validation(vec![ValidationIssue::in_body([field], msg, "value_error")])
    }

    /// A 404 named `error` (e.g. `MemberNotFound`).
    pub fn missing(error: &'static str, detail: impl Into<String>) -> Self {
        Self::Missing {
            error,
            detail: detail.into(),
        }
    }

    /// The HTTP status code of this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthorized(_) | Self::BadCredential { .. } => 401,
            Self::NotPermitted(_) | Self::Refused { .. } => 403,
            Self::PaymentFailed(_) => 402,
            Self::NotFound { .. } | Self::Missing { .. } => 404,
            Self::Rejected { .. } => 400,
            Self::Conflict { .. } => 409,
            Self::Validation(_) => 422,
            Self::PayloadTooLarge { .. } => 413,
            Self::RateLimited { .. } => 429,
            Self::PaymentPending | Self::TimedOut { .. } | Self::Unavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// True for failures of ours (to be logged as errors), false for the caller's mistakes.
    pub fn is_server_fault(&self) -> bool {
        self.status() >= 500
    }

    /// Seconds a client should wait before retrying (`Retry-After`), when the error says.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            Self::PaymentPending => Some(60),
            Self::Unavailable(_) => Some(1),
            _ => None,
        }
    }

    /// The wire body: a stable error name and a sentence a developer can act on.
    pub fn body(&self) -> ErrorBody {
        match self {
            Self::Unauthorized(why) => ErrorBody::message("Unauthorized", *why),
            Self::BadCredential { error, detail } => ErrorBody::message(*error, *detail),
            Self::NotPermitted(why) => ErrorBody::message("NotPermitted", why.clone()),
            Self::NotFound { resource } => {
                ErrorBody::message("ResourceNotFound", format!("{resource} not found"))
            }
            Self::PaymentFailed(why) => ErrorBody::message("PaymentFailed", why.clone()),
            Self::Rejected { error, detail }
            | Self::Refused { error, detail }
            | Self::Missing { error, detail }
            | Self::Conflict { error, detail } => ErrorBody::message(*error, detail.clone()),
            Self::Validation(issues) => ErrorBody::validation(issues.clone()),
            Self::PayloadTooLarge { limit } => ErrorBody::message(
                "PayloadTooLarge",
                format!("the request body is larger than {limit} bytes"),
            ),
            Self::RateLimited { detail, .. } => {
                ErrorBody::message("TooManyRequests", detail.clone())
            }
            Self::TimedOut { seconds } => ErrorBody::message(
                "RequestTimeout",
                format!("the request took longer than {seconds} seconds and was abandoned"),
            ),
            Self::PaymentPending => ErrorBody::message(
                "PaymentPending",
                "The payment could not be confirmed right now. The checkout will show the outcome \
                 within a few minutes; you will not be charged twice.",
            ),
            Self::Unavailable(_) => ErrorBody::message(
                "ServiceUnavailable",
                "The database is unavailable right now; retry in a moment.",
            ),
            Self::Internal(_) => ErrorBody::message(
                "InternalError",
                "An unexpected error occurred; it has been logged.",
            ),
        }
    }
}

impl From<ServiceError> for AppError {
    /// The error a server function answers (its HTTP status is set by the function's call, see
    /// `crate::api`).
    fn from(err: ServiceError) -> Self {
        if err.is_server_fault() {
            tracing::error!(error = ?err, "server function failed");
        }
        let body = err.body();
        Self {
            detail: body.detail_text(),
            error: body.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_reveal_their_cause() {
        let err = ServiceError::Internal(StoreError::Corrupt("secret table detail".into()));
        assert_eq!(err.status(), 500);
        assert!(
            !serde_json::to_string(&err.body())
                .unwrap()
                .contains("secret")
        );
    }

    #[test]
    fn a_missing_resource_is_a_404_named_resource_not_found() {
        let err = ServiceError::not_found("Organization");
        assert_eq!(err.status(), 404);
        assert_eq!(err.body().error, "ResourceNotFound");
    }
}
