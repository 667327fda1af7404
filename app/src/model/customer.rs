//! Customers (the buyers) and their members (the people who may hold seats), as the API returns
//! and accepts them. A customer is `individual` until it buys a seat-based product, then `team`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Named;

use super::{CustomerId, CustomerSessionId, Email, MemberId, OrganizationId, metadata::Metadata};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
#[derive(Default)]
pub enum CustomerType {
    #[default]
    Individual,
    Team,
}

impl Named for CustomerType {}

/// What a member may do: owners and billing managers manage seats; members only use theirs.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "text", rename_all = "snake_case"))]
#[derive(Default)]
pub enum MemberRole {
    Owner,
    BillingManager,
    #[default]
    Member,
}

impl MemberRole {
    /// Owners and billing managers may change seats and subscriptions.
    pub const fn can_manage_seats(self) -> bool {
        matches!(self, Self::Owner | Self::BillingManager)
    }
}

impl Named for MemberRole {}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: CustomerId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub metadata: Metadata,
    pub external_id: Option<String>,
    pub email: Option<Email>,
    pub email_verified: bool,
    #[serde(rename = "type")]
    pub kind: CustomerType,
    pub name: Option<String>,
    pub billing_name: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub billing_address: Option<serde_json::Value>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<Object>>))]
    pub tax_id: Option<Vec<serde_json::Value>>,
    pub locale: Option<String>,
    pub organization_id: OrganizationId,
    pub default_payment_method_id: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub first_user_event_at: Option<DateTime<Utc>>,
    pub avatar_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Member {
    pub id: MemberId,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub customer_id: CustomerId,
    pub email: Email,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub role: MemberRole,
}

/// The owner member created with a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OwnerCreate {
    pub email: Email,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Body of `POST /v1/customers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerCreate {
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: CustomerType,
    #[serde(default)]
    pub owner: Option<OwnerCreate>,
    #[serde(default)]
    pub metadata: Metadata,
}

/// Body of `PATCH /v1/customers/{id}`: absent fields are unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerUpdate {
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<CustomerType>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// Body of `POST /v1/customers/{id}/members`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberCreate {
    pub email: Email,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub role: MemberRole,
}

/// Body of `PATCH /v1/customers/{id}/members/{member_id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MemberUpdate {
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<MemberRole>,
}

/// Body of `POST /v1/customer-portal/customer-session/request`: email me a sign-in code for the
/// portal of this organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSessionCodeRequest {
    pub email: Email,
    pub organization_id: OrganizationId,
}

/// Body of `POST /v1/customer-portal/customer-session/authenticate`: the code from the email.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSessionCodeAuthenticateRequest {
    pub code: String,
}

/// A session opened with a sign-in code: its token for the portal's calls (`Authorization:
/// Bearer`), shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSessionCodeAuthenticateResponse {
    pub token: String,
}

/// Body of `POST /v1/customer-sessions`: the customer by id or external id, optionally a member.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSessionCreate {
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    #[serde(default)]
    pub external_customer_id: Option<String>,
    #[serde(default)]
    pub member_id: Option<MemberId>,
    #[serde(default)]
    pub external_member_id: Option<String>,
    #[serde(default)]
    pub return_url: Option<String>,
}

/// What a session is (`GET /v1/customer-portal/customer-session/introspect`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerCustomerSession {
    pub expires_at: DateTime<Utc>,
    pub return_url: Option<String>,
}

/// Who a session signs in (`GET /v1/customer-portal/customer-session/user`). Every Seatkeeper session
/// names a member (the customer's owner unless another was asked for), so `type` is `member`, and
/// `role` tells the billing side (`owner`, `billing_manager`) from a seat holder (`member`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PortalAuthenticatedUser {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub email: Email,
    pub customer_id: CustomerId,
    pub member_id: Option<MemberId>,
    pub role: Option<MemberRole>,
}

/// A customer session: a short-lived bearer token for the portal and the widget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerSession {
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub id: CustomerSessionId,
    /// Shown once; only its hash is stored.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub return_url: Option<String>,
    pub customer_portal_url: String,
    pub customer_id: CustomerId,
    pub customer: Customer,
}
