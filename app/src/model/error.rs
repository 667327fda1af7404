//! The error body every Seatkeeper endpoint answers with, in Polar's shape:
//! `{"error": "SeatNotAvailable", "detail": "..."}` for domain errors and
//! `{"error": "RequestValidationError", "detail": [{"loc", "msg", "type"}]}` for malformed requests.
//! [`AppError`] is the same body as the error type of the `#[server]` functions, so the browser gets
//! the words a REST client would.

use std::fmt;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// The JSON error body of the REST API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    pub detail: ErrorDetail,
}

/// A human sentence, or the list of validation problems of a 422.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ErrorDetail {
    Message(String),
    Validation(Vec<ValidationIssue>),
}

/// One problem of a request: where (`["body", "email"]`), what, and a machine-readable type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ValidationIssue {
    pub loc: Vec<LocSegment>,
    pub msg: String,
    #[serde(rename = "type")]
    pub kind: String,
}

impl ValidationIssue {
    /// A problem of the request body at `path` (`["seats"]`, `["prices", 0, "amount"]`): its `loc`
    /// is `["body", ...path]`.
    pub fn in_body<S: Into<LocSegment>>(
        path: impl IntoIterator<Item = S>,
        msg: impl Into<String>,
        kind: &str,
    ) -> Self {
        let mut loc = vec![LocSegment::from("body")];
        loc.extend(path.into_iter().map(Into::into));
        Self {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }
}

/// A step of a validation location: a field name or a list index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LocSegment {
    Index(u64),
    Key(String),
}

impl From<&str> for LocSegment {
    fn from(value: &str) -> Self {
        Self::Key(value.to_owned())
    }
}

impl ErrorBody {
    pub fn message(error: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            detail: ErrorDetail::Message(detail.into()),
        }
    }

    pub fn validation(issues: Vec<ValidationIssue>) -> Self {
        Self {
            error: "RequestValidationError".into(),
            detail: ErrorDetail::Validation(issues),
        }
    }

    /// The detail as one sentence (validation messages joined with "; ").
    pub fn detail_text(&self) -> String {
        match &self.detail {
            ErrorDetail::Message(message) => message.clone(),
            ErrorDetail::Validation(issues) => issues
                .iter()
                .map(|issue| issue.msg.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// The error of every `#[server]` function: a wire error name and a sentence fit to show a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct AppError {
    pub error: String,
    pub detail: String,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let detail = match value {
            ServerFnErrorErr::Request(_) => {
                "The server could not be reached. Check your connection and try again."
            }
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                "The request was not understood."
            }
            _ => "Something went wrong on our side. Please try again.",
        };
        Self {
            error: "ServerFnError".into(),
            detail: detail.into(),
        }
    }
}
