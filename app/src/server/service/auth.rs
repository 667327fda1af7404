//! Who is calling: turns what a request presents ([`Credential`]) into a [`SeatCaller`] and checks
//! what it may do. Tokens are looked up by their SHA-256; a token that is unknown, revoked or
//! expired is the same 401 to the caller. A request that acts on one pool authenticates and reads
//! the pool in one store read ([`Services::caller_on_pool`]).

use std::sync::Arc;

use crate::{
    model::{
        AccessTokenId, CustomerId, MemberId, OrganizationId, Scope, Scopes,
        customer::MemberRole,
        seat::{ActorType, SeatPool},
    },
    server::{
        store::{
            AccessTokenRecord, CallerRecord, CredentialHash, PoolRead, PoolSeen, SessionRecord,
        },
        token::{ACCESS_TOKEN_PREFIX, TokenHash},
    },
};

use super::{ServiceError, Services, sessions::SESSION_TOKEN_PREFIX};

/// What a request presents to be let in: a bearer token as received, or a caller the request
/// already authenticated (`Caller`: for the portal's server functions, which hold the session
/// they checked; no handler needs it yet). Not `Debug`: it may hold a secret.
#[derive(Clone, Copy)]
pub enum Credential<'a> {
    /// An organization access token (`skp_oat_...`).
    AccessToken(&'a str),
    /// A customer or member session token (`skp_cst_...`).
    Session(&'a str),
    /// A caller already authenticated.
    Caller(&'a SeatCaller),
}

/// A caller's read of a pool as identical reads share it: the live caller, and what the read
/// fetched of the pool when it is the caller's organization's.
pub(super) type CallerOnPoolRead = Option<(CallerRecord, Option<Arc<PoolSeen>>)>;

/// The key identical reads of a caller on a pool share.
pub(super) type CallerOnPoolKey = (CredentialHash, SeatPool, PoolRead);

const UNKNOWN_ACCESS_TOKEN: ServiceError =
    ServiceError::Unauthorized("the access token is unknown, revoked or expired");
const UNKNOWN_SESSION: ServiceError =
    ServiceError::Unauthorized("the session token is unknown or expired");

impl Services {
    /// The caller behind a credential; 401 when it is not live.
    pub async fn authenticate(
        &self,
        credential: Credential<'_>,
    ) -> Result<SeatCaller, ServiceError> {
        Ok(match credential {
            Credential::AccessToken(token) => {
                SeatCaller::Organization(self.authenticate_access_token(token).await?)
            }
            Credential::Session(token) => {
                SeatCaller::Portal(self.authenticate_session(token).await?)
            }
            Credential::Caller(caller) => caller.clone(),
        })
    }

    /// The caller behind a credential (401 when it is not live) and what `read` asks of `pool` (its
    /// stamp, or its whole context) when the pool belongs to the caller's organization (whether
    /// the caller may see it is the caller's rule, [`SeatCaller::may_see_customer`]). One store read
    /// for a token; identical reads that arrive together share it (see `shared_reads`).
    pub(super) async fn caller_on_pool(
        &self,
        credential: Credential<'_>,
        pool: SeatPool,
        read: PoolRead,
    ) -> Result<(SeatCaller, Option<Arc<PoolSeen>>), ServiceError> {
        let (hash, unknown) = match credential {
            Credential::AccessToken(token) => (
                CredentialHash::AccessToken(ACCESS_TOKEN.hash(token)?),
                UNKNOWN_ACCESS_TOKEN,
            ),
            Credential::Session(token) => (
                CredentialHash::Session(SESSION_TOKEN.hash(token)?),
                UNKNOWN_SESSION,
            ),
            Credential::Caller(caller) => {
                let context = self
                    .store()
                    .pool_context(caller.organization_id(), pool)
                    .await?;
                return Ok((
                    caller.clone(),
                    context.map(|context| Arc::new(PoolSeen::Context(Box::new(context)))),
                ));
            }
        };
        let found = self
            .caller_reads
            .read((hash.clone(), pool, read), || async {
                let found = self
                    .store()
                    .caller_on_pool(&hash, self.now(), pool, read)
                    .await?;
                Ok::<_, ServiceError>(found.map(|found| (found.caller, found.pool.map(Arc::new))))
            })
            .await?;
        let (caller, context) = found.ok_or(unknown)?;
        let caller = match caller {
            CallerRecord::AccessToken(token) => SeatCaller::Organization(token.into()),
            CallerRecord::Session(session) => SeatCaller::Portal(session.into()),
        };
        Ok((caller, context))
    }
}

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
        let record = self
            .store()
            .access_token_by_hash(&ACCESS_TOKEN.hash(token)?, self.now())
            .await?;
        Ok(record.ok_or(UNKNOWN_ACCESS_TOKEN)?.into())
    }
}

/// A kind of bearer token: its prefix, and what a 401 says of a token without it.
struct TokenKind {
    prefix: &'static str,
    otherwise: &'static str,
}

impl TokenKind {
    /// The hash a token of this kind is stored under; 401 for any other token, so a token of one
    /// kind is never looked up among another's.
    fn hash(&self, token: &str) -> Result<TokenHash, ServiceError> {
        if token.starts_with(self.prefix) {
            Ok(TokenHash::of(token))
        } else {
            Err(ServiceError::Unauthorized(self.otherwise))
        }
    }
}

const ACCESS_TOKEN: TokenKind = TokenKind {
    prefix: ACCESS_TOKEN_PREFIX,
    otherwise: "the bearer token is not an organization access token",
};

const SESSION_TOKEN: TokenKind = TokenKind {
    prefix: SESSION_TOKEN_PREFIX,
    otherwise: "the bearer token is not a customer session token",
};

impl From<AccessTokenRecord> for OrganizationCaller {
    fn from(record: AccessTokenRecord) -> Self {
        Self {
            organization_id: record.organization_id,
            token_id: record.id,
            scopes: record.scopes,
        }
    }
}

/// A customer or member portal session (`skp_cst_...`): the member it belongs to and their role.
#[derive(Clone, Debug, PartialEq)]
pub struct PortalCaller {
    pub organization_id: OrganizationId,
    pub customer_id: CustomerId,
    pub member_id: MemberId,
    pub role: MemberRole,
}

/// Whoever manages seats: the merchant's API or a portal session. One place decides what each may
/// read and change, and how it is named in the audit log.
#[derive(Clone, Debug, PartialEq)]
pub enum SeatCaller {
    Organization(OrganizationCaller),
    Portal(PortalCaller),
    /// Seatkeeper itself: following an invitation link, or removing a member's seats.
    System(OrganizationId),
}

impl SeatCaller {
    pub fn organization_id(&self) -> OrganizationId {
        match self {
            Self::Organization(c) => c.organization_id,
            Self::Portal(c) => c.organization_id,
            Self::System(id) => *id,
        }
    }

    pub fn is_organization(&self) -> bool {
        matches!(self, Self::Organization(_))
    }

    pub fn require_read(&self) -> Result<(), ServiceError> {
        match self {
            Self::Organization(c) => {
                c.require_any(&[Scope::CustomerSeatsRead, Scope::CustomerSeatsWrite])
            }
            Self::Portal(_) | Self::System(_) => Ok(()),
        }
    }

    /// Organization tokens need `customer_seats:write`; in the portal, owners and billing
    /// managers may change seats, members may only look.
    pub fn require_write(&self) -> Result<(), ServiceError> {
        match self {
            Self::Organization(c) => c.require_any(&[Scope::CustomerSeatsWrite]),
            Self::Portal(c) if c.role == MemberRole::Member => Err(ServiceError::NotPermitted(
                "only the owner or a billing manager can change seats".into(),
            )),
            Self::Portal(_) | Self::System(_) => Ok(()),
        }
    }

    /// Whether pools and seats of `customer_id` are visible: every customer of the organization
    /// for the merchant, only its own customer for a portal session.
    pub fn may_see_customer(&self, customer_id: CustomerId) -> bool {
        match self {
            Self::Organization(_) | Self::System(_) => true,
            Self::Portal(c) => c.customer_id == customer_id,
        }
    }

    /// How the audit log names this caller.
    pub fn actor(&self) -> (ActorType, Option<uuid::Uuid>) {
        match self {
            Self::Organization(c) => (ActorType::Organization, Some(c.token_id.as_uuid())),
            Self::Portal(c) if c.role == MemberRole::Owner => {
                (ActorType::Customer, Some(c.customer_id.as_uuid()))
            }
            Self::Portal(c) => (ActorType::Member, Some(c.member_id.as_uuid())),
            Self::System(_) => (ActorType::System, None),
        }
    }
}

impl Services {
    /// Ends a customer or member session (signing out of the portal): its token stops working at
    /// once, in every process. An unknown or already ended token is not an error.
    pub async fn end_session(&self, token: &str) -> Result<(), ServiceError> {
        let Ok(hash) = SESSION_TOKEN.hash(token) else {
            return Ok(());
        };
        self.store().end_session(&hash, self.now()).await?;
        Ok(())
    }

    /// Authenticates a customer or member session token (`skp_cst_...`).
    #[tracing::instrument(skip_all, err(level = "debug"))]
    pub async fn authenticate_session(&self, token: &str) -> Result<PortalCaller, ServiceError> {
        let session = self
            .store()
            .live_session(&SESSION_TOKEN.hash(token)?, self.now())
            .await?;
        Ok(session.ok_or(UNKNOWN_SESSION)?.into())
    }

    /// The portal caller of session `token` on the pages of organization `slug`: a session of
    /// another organization (or of none) is not signed in there (401).
    pub async fn session_on_pages_of(
        &self,
        token: &str,
        slug: &str,
    ) -> Result<PortalCaller, ServiceError> {
        let caller = self.authenticate_session(token).await?;
        let page_org = self.organization_by_slug(slug).await?;
        if page_org.is_none_or(|page_org| page_org.summary.id != caller.organization_id) {
            return Err(ServiceError::Unauthorized(
                "you are not signed in to this organization",
            ));
        }
        Ok(caller)
    }
}

impl Services {
    /// When the session `token` ends and where it returns to (401 when it is not live).
    pub async fn introspect_session(
        &self,
        token: &str,
    ) -> Result<crate::model::customer::CustomerCustomerSession, ServiceError> {
        let (expires_at, return_url) = self
            .store()
            .live_session_terms(&SESSION_TOKEN.hash(token)?, self.now())
            .await?
            .ok_or(UNKNOWN_SESSION)?;
        Ok(crate::model::customer::CustomerCustomerSession {
            expires_at,
            return_url,
        })
    }

    /// Who the session signs in: its member, with their role.
    pub async fn session_user(
        &self,
        caller: &PortalCaller,
    ) -> Result<crate::model::customer::PortalAuthenticatedUser, ServiceError> {
        let member = self
            .store()
            .member_even_removed(caller.customer_id, caller.member_id)
            .await?
            .ok_or(UNKNOWN_SESSION)?;
        Ok(crate::model::customer::PortalAuthenticatedUser {
            kind: "member".to_owned(),
            name: member.name,
            email: member.email,
            customer_id: caller.customer_id,
            member_id: Some(caller.member_id),
            role: Some(caller.role),
        })
    }
}

impl From<SessionRecord> for PortalCaller {
    fn from(session: SessionRecord) -> Self {
        Self {
            organization_id: session.organization_id,
            customer_id: session.customer_id,
            member_id: session.member_id,
            role: session.role,
        }
    }
}
