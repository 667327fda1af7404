//! Customer and member sessions: the merchant opens one for a member (`POST
//! /v1/customer-sessions`) and hands its token to the portal; only its hash is stored.

use chrono::TimeDelta;

use crate::{
    model::{
        CustomerSessionId, Scope, ValidationIssue,
        customer::{CustomerSession, CustomerSessionCreate},
    },
    server::{
        store::{CustomerRecord, MemberRecord, NewCustomerSession},
        token,
    },
};

use super::{
    OrganizationCaller, ServiceError, Services,
    text::{self, validated},
};

/// Prefix of customer and member session tokens.
pub const SESSION_TOKEN_PREFIX: &str = "skp_cst_";
/// How long a customer session lasts.
pub const SESSION_TTL: TimeDelta = TimeDelta::hours(1);

impl Services {
    /// Opens a portal session for a customer (by id or external id) and one of its members (the
    /// owner unless `member_id` or `external_member_id` names another).
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn create_customer_session(
        &self,
        caller: &OrganizationCaller,
        input: CustomerSessionCreate,
    ) -> Result<CustomerSession, ServiceError> {
        caller.require_any(&[Scope::CustomerSessionsWrite])?;
        let customer = match (input.customer_id, input.external_customer_id.as_deref()) {
            (Some(id), None) => self.customer_record(caller, id).await?,
            (None, Some(external)) => self
                .store()
                .customer_by_external_id(caller.organization_id, external)
                .await?
                .ok_or_else(|| ServiceError::not_found("Customer"))?,
            _ => {
                return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                    ["customer_id"],
                    "give exactly one of customer_id and external_customer_id",
                    "value_error",
                )]));
            }
        };
        let member = match (input.member_id, input.external_member_id.as_deref()) {
            (Some(id), None) => self.store().member(customer.id, id).await?,
            (None, Some(external)) => {
                self.store()
                    .member_by_external_id(customer.id, external)
                    .await?
            }
            (None, None) => self.store().owner(customer.id).await?,
            (Some(_), Some(_)) => {
                return Err(ServiceError::Validation(vec![ValidationIssue::in_body(
                    ["member_id"],
                    "give at most one of member_id and external_member_id",
                    "value_error",
                )]));
            }
        }
        .ok_or_else(|| ServiceError::not_found("Member"))?;
        let mut issues = Vec::new();
        let return_url = text::clean(
            "return_url",
            input.return_url,
            text::MAX_LONG_TEXT_LEN,
            &mut issues,
        );
        validated(issues)?;
        self.open_session(customer, &member, return_url).await
    }

    /// Stores a new session of `member` (of `customer`) and returns it with its token, shown once.
    pub(super) async fn open_session(
        &self,
        customer: CustomerRecord,
        member: &MemberRecord,
        return_url: Option<String>,
    ) -> Result<CustomerSession, ServiceError> {
        let organization = self
            .store()
            .organization(customer.organization_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Organization"))?;
        let secret = token::generate(SESSION_TOKEN_PREFIX);
        let now = self.now();
        let session = NewCustomerSession {
            id: CustomerSessionId::new(),
            organization_id: customer.organization_id,
            customer_id: customer.id,
            member_id: member.id,
            hash: secret.hash.clone(),
            created_at: now,
            expires_at: now + SESSION_TTL,
            return_url,
        };
        self.store().insert_customer_session(&session).await?;
        let token = secret.expose().to_owned();
        Ok(CustomerSession {
            created_at: now,
            modified_at: None,
            id: session.id,
            customer_portal_url: self.portal_url(&organization.slug, &token),
            token,
            expires_at: session.expires_at,
            return_url: session.return_url,
            customer_id: customer.id,
            customer: customer.into(),
        })
    }
}
