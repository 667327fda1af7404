//! What the store reads and writes: validated records, decoded from private row types.

use chrono::{DateTime, Utc};

use crate::{
    model::{AccessTokenId, OrganizationId, Scopes, Slug, organization::ProrationBehavior},
    server::token::TokenHash,
};

use super::StoreError;

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
#[derive(Clone, Debug, PartialEq)]
pub struct AccessTokenRecord {
    pub id: AccessTokenId,
    pub organization_id: OrganizationId,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(super) struct AccessTokenRow {
    id: AccessTokenId,
    organization_id: OrganizationId,
    scopes: String,
    expires_at: Option<DateTime<Utc>>,
}

impl TryFrom<AccessTokenRow> for AccessTokenRecord {
    type Error = StoreError;

    fn try_from(row: AccessTokenRow) -> Result<Self, Self::Error> {
        access_token_record(row.id, row.organization_id, &row.scopes, row.expires_at)
    }
}

/// An access token's record from its columns (its scopes as stored).
pub(super) fn access_token_record(
    id: AccessTokenId,
    organization_id: OrganizationId,
    scopes: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<AccessTokenRecord, StoreError> {
    Ok(AccessTokenRecord {
        id,
        organization_id,
        scopes: scopes
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("access token {id} scopes: {e}")))?,
        expires_at,
    })
}
