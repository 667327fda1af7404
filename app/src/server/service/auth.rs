//! Who is calling: turns a bearer token into a [`Caller`] and checks scopes. Tokens are looked up by
//! their SHA-256; a token that is unknown, revoked or expired is the same 401 to the caller.

use crate::{
    model::{AccessTokenId, OrganizationId, Scope, Scopes},
    server::token::{ACCESS_TOKEN_PREFIX, TokenHash},
};

use super::{ServiceError, Services};

/// An authenticated caller of the merchant API.
#[derive(Clone, Debug, PartialEq)]
pub struct OrganizationCaller {
    pub organization_id: OrganizationId,
    pub token_id: AccessTokenId,
    pub scopes: Scopes,
}

impl OrganizationCaller {
    /// Succeeds when the token holds at least one of `accepted` (e.g. read or write).
    pub fn require_any(&self, accepted: &[Scope]) -> Result<(), ServiceError> {
        if self.scopes.contains_any(accepted) {
            return Ok(());
        }
        let names: Vec<&str> = accepted.iter().map(|s| s.as_str()).collect();
        Err(ServiceError::NotPermitted(format!(
            "this access token lacks the scope {}",
            names.join(" or ")
        )))
    }
}

impl Services {
    /// Authenticates an organization access token (`skp_oat_...`).
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn authenticate_access_token(
        &self,
        token: &str,
    ) -> Result<OrganizationCaller, ServiceError> {
        if !token.starts_with(ACCESS_TOKEN_PREFIX) {
            return Err(ServiceError::Unauthorized(
                "the bearer token is not an organization access token",
            ));
        }
        let record = self
            .store()
            .access_token_by_hash(&TokenHash::of(token), self.now())
            .await?
            .ok_or(ServiceError::Unauthorized(
                "the access token is unknown, revoked or expired",
            ))?;
        Ok(OrganizationCaller {
            organization_id: record.organization_id,
            token_id: record.id,
            scopes: record.scopes,
        })
    }
}
