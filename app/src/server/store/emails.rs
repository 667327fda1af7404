//! Records of the email outbox. An email is written in the same transaction as the change that
//! causes it (e.g. an invitation with its seat) and sent afterwards by the mailer, which leases it
//! with a conditional update so several processes never send one email twice at once.

use chrono::{DateTime, Utc};

use crate::model::{EmailId, Named, OrganizationId, SeatId};

/// An email to write into the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEmail {
    pub id: EmailId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    /// What the email is for, e.g. `seat_invitation`.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// The seat an invitation is for: claiming, revoking or re-sending it erases this email.
    pub seat_id: Option<SeatId>,
}

/// Where an email is in its delivery.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, sqlx::Type,
)]
#[strum(serialize_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum EmailStatus {
    Pending,
    Sent,
    /// Given up after the last attempt.
    Failed,
    /// Not sent because its seat was claimed, revoked or re-sent first.
    Discarded,
}

impl Named for EmailStatus {}

/// An email of the outbox with its delivery state.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct EmailRecord {
    pub id: EmailId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    #[sqlx(rename = "to_address")]
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: EmailStatus,
    #[sqlx(try_from = "i64")]
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// `smtp` or `mailbox`, once sent.
    pub transport: Option<String>,
}
