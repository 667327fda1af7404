//! Records of customers, members and customer sessions, and their rows.

use chrono::{DateTime, Utc};

use crate::{
    model::{
        CustomerId, CustomerSessionId, Email, MemberId, OrganizationId,
        customer::{CustomerType, MemberRole},
        metadata::Metadata,
    },
    server::token::TokenHash,
};

use super::StoreError;

#[derive(Clone, Debug, PartialEq)]
pub struct CustomerRecord {
    pub id: CustomerId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub kind: CustomerType,
    pub email: Option<Email>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub metadata: Metadata,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct MemberRecord {
    pub id: MemberId,
    pub customer_id: CustomerId,
    pub organization_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    #[sqlx(try_from = "String")]
    pub email: Email,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub role: MemberRole,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A customer session to store: its hash, never its token.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCustomerSession {
    pub id: CustomerSessionId,
    pub organization_id: OrganizationId,
    pub customer_id: CustomerId,
    pub member_id: MemberId,
    pub hash: TokenHash,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub return_url: Option<String>,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

#[derive(sqlx::FromRow)]
pub(super) struct CustomerRow {
    id: CustomerId,
    organization_id: OrganizationId,
    created_at: DateTime<Utc>,
    modified_at: Option<DateTime<Utc>>,
    #[sqlx(rename = "type")]
    kind: CustomerType,
    email: Option<String>,
    name: Option<String>,
    external_id: Option<String>,
    metadata: String,
    deleted_at: Option<DateTime<Utc>>,
}

impl TryFrom<CustomerRow> for CustomerRecord {
    type Error = StoreError;

    fn try_from(row: CustomerRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: row.id,
            organization_id: row.organization_id,
            created_at: row.created_at,
            modified_at: row.modified_at,
            kind: row.kind,
            email: row
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|e| corrupt("customer email", e))?,
            name: row.name,
            external_id: row.external_id,
            metadata: serde_json::from_str(&row.metadata)
                .map_err(|e| corrupt("customer metadata", e))?,
            deleted_at: row.deleted_at,
        })
    }
}
