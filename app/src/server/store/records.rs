//! What the store reads and writes: validated records, decoded from private row types.

use chrono::{DateTime, Utc};

use crate::{
    model::{AccessTokenId, OrganizationId, Scopes, Slug, organization::ProrationBehavior},
    server::token::TokenHash,
};

/// An organization as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct OrganizationRecord {
    pub id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub slug: Slug,
    pub email: Option<String>,
    /// How long an invitation link stays valid.
    pub invitation_ttl_seconds: i64,
    pub proration_behavior: ProrationBehavior,
    /// How many days a past-due subscription keeps its seats (Polar's
    /// `benefit_revocation_grace_period`).
    pub past_due_grace_days: i64,
    /// How many days before a changed renewal its billing manager is reminded (0: never).
    pub renewal_reminder_days: i64,
}

/// A new organization to insert.
#[derive(Clone, Debug)]
pub struct NewOrganization {
    pub id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub name: String,
    pub slug: Slug,
    pub email: Option<String>,
    pub invitation_ttl_seconds: i64,
    pub proration_behavior: ProrationBehavior,
}

/// A new access token to insert: its hash, never its secret.
#[derive(Clone, Debug)]
pub struct NewAccessToken {
    pub id: AccessTokenId,
    pub organization_id: OrganizationId,
    pub hash: TokenHash,
    pub scopes: Scopes,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A live access token.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AccessTokenRecord {
    pub id: AccessTokenId,
    pub organization_id: OrganizationId,
    #[sqlx(try_from = "String")]
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
}
