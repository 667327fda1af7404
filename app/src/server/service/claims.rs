//! Claiming a seat from its invitation link, and the benefit grants a claimed seat gives.
//!
//! Reading a link (`claim_info`) has no side effects: email scanners follow links. A claim is one
//! conditional update on the token's hash (pending, unexpired), so of any number of concurrent
//! claims of one link exactly one wins; the winner's transaction also writes the grants (one per
//! live benefit of the product; license keys generated here), a member session, the audit entry
//! and the events.

use crate::{
    domain::seats::{SeatEvent, transition},
    model::{
        BenefitGrantId, CustomerSessionId, ListResource, PageRequest, Scope, SeatId,
        benefit::BenefitProperties,
        claim_view::{ClaimPage, ClaimedSeat, GrantedBenefit, KeyActivation},
        license_key::display_key,
        seat::{
            BenefitGrant, BenefitGrantProperties, CustomerSeatClaimResponse, SeatAction,
            SeatClaimInfo, SeatStatus,
        },
    },
    server::{
        store::{
            GrantFilter, GrantRecord, LicenseKeyRecord, NewCustomerSession, NewEvent,
            SeatClaimWrite, SeatRecord,
        },
        token::{self, TokenHash},
    },
};

use super::{
    OrganizationCaller, PortalCaller, SeatCaller, ServiceError, Services,
    license_keys::holders_see_activations,
    license_keys::key_of_grant,
    seats::{INVITATION_TOKEN_PREFIX, seat_wire},
    sessions::{SESSION_TOKEN_PREFIX, SESSION_TTL},
};

fn invalid_token(detail: &str) -> ServiceError {
    ServiceError::rejected("InvalidInvitationToken", detail)
}

impl Services {
    /// The grants a claimed `seat` gives (one per live benefit of the pool's product), and the
    /// license keys they give.
    pub(super) async fn grants_for(
        &self,
        seat: &SeatRecord,
        product_id: crate::model::ProductId,
    ) -> Result<(Vec<GrantRecord>, Vec<LicenseKeyRecord>), ServiceError> {
        let product = self
            .store()
            .product(seat.organization_id, product_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Product"))?;
        let now = self.now();
        let mut grants = Vec::new();
        let mut keys = Vec::new();
        for benefit in product.benefits.iter().filter(|b| b.deleted_at.is_none()) {
            let mut grant = GrantRecord {
                id: BenefitGrantId::new(),
                organization_id: seat.organization_id,
                created_at: now,
                modified_at: None,
                benefit_id: benefit.id,
                customer_id: seat.customer_id,
                member_id: seat.member_id,
                seat_id: seat.id,
                pool: seat.pool,
                granted_at: now,
                revoked_at: None,
                properties: BenefitGrantProperties::default(),
            };
            match &benefit.properties {
                BenefitProperties::LicenseKeys(properties) => {
                    let key = key_of_grant(&grant, properties);
                    grant.properties.license_key_id = Some(key.id);
                    grant.properties.display_key = Some(display_key(&key.key));
                    keys.push(key);
                }
                BenefitProperties::Custom(properties) => {
                    grant.properties.note.clone_from(&properties.note);
                }
            }
            grants.push(grant);
        }
        Ok((grants, keys))
    }

    /// Grants as the API returns them, with their customer, member and benefit.
    async fn grant_wires(&self, grants: &[GrantRecord]) -> Result<Vec<BenefitGrant>, ServiceError> {
        let mut out = Vec::with_capacity(grants.len());
        for grant in grants {
            let customer = self
                .store()
                .customer_even_deleted(grant.organization_id, grant.customer_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("Customer"))?;
            let member = self
                .store()
                .member_even_removed(grant.customer_id, grant.member_id)
                .await?;
            let benefit = self
                .store()
                .benefit(grant.organization_id, grant.benefit_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("Benefit"))?;
            out.push(BenefitGrant {
                id: grant.id,
                created_at: grant.created_at,
                modified_at: grant.modified_at,
                granted_at: Some(grant.granted_at),
                is_granted: grant.revoked_at.is_none(),
                revoked_at: grant.revoked_at,
                is_revoked: grant.revoked_at.is_some(),
                subscription_id: grant.pool.subscription_id(),
                order_id: grant.pool.order_id(),
                customer_id: grant.customer_id,
                member_id: Some(grant.member_id),
                benefit_id: grant.benefit_id,
                seat_id: grant.seat_id,
                customer: customer.into(),
                member: member.map(Into::into),
                benefit: benefit.into(),
                properties: grant.properties.clone(),
            });
        }
        Ok(out)
    }

    /// One `kind` event (`benefit_grant.created` or `.revoked`) per grant.
    pub(super) async fn grant_events(
        &self,
        grants: &[GrantRecord],
        kind: &'static str,
    ) -> Result<Vec<NewEvent>, ServiceError> {
        self.grant_wires(grants)
            .await?
            .iter()
            .zip(grants)
            .map(|(wire, grant)| self.event(grant.organization_id, kind, wire))
            .collect()
    }

    /// The pending, unexpired seat an invitation token opens, or why not.
    async fn invited_seat(&self, token: &str) -> Result<(SeatRecord, TokenHash), ServiceError> {
        let dead = || invalid_token("this invitation link is invalid, expired or already used");
        if !token.starts_with(INVITATION_TOKEN_PREFIX) {
            return Err(dead());
        }
        let hash = TokenHash::of(token);
        let seat = self
            .store()
            .seat_by_invitation(&hash)
            .await?
            .filter(|s| transition(s.status, SeatEvent::Claim).is_some())
            .filter(|s| {
                s.invitation_token_expires_at
                    .is_some_and(|t| t > self.now())
            })
            .ok_or_else(dead)?;
        Ok((seat, hash))
    }

    /// What an invitation link leads to. No side effects; 404 when the link is dead.
    pub async fn claim_info(&self, token: &str) -> Result<SeatClaimInfo, ServiceError> {
        Ok(self.claim_details(token).await?.0)
    }

    /// The claim page's view of an invitation. No side effects; 404 when the link is dead.
    pub async fn claim_page(&self, token: &str) -> Result<ClaimPage, ServiceError> {
        let (info, seat) = self.claim_details(token).await?;
        Ok(ClaimPage {
            product_name: info.product_name,
            organization_name: info.organization_name,
            email: info.customer_email,
            expires_at: seat
                .invitation_token_expires_at
                .unwrap_or_else(|| self.now()),
            can_claim: info.can_claim,
        })
    }

    /// Claims from the claim page: the seat's benefits, as its new holder sees them, and the
    /// holder's new member session (for the page to keep in an HttpOnly cookie, never in the page).
    pub async fn claim_seat_for_page(
        &self,
        token: &str,
    ) -> Result<(ClaimedSeat, String), ServiceError> {
        let (info, _) = self.claim_details(token).await.map_err(|_| {
            invalid_token("this invitation link is invalid, expired or already used")
        })?;
        let claimed = self.claim_seat(token).await?;
        let view = self
            .claimed_view(
                claimed.seat.id,
                claimed.seat.email,
                info.product_name,
                info.organization_name,
            )
            .await?;
        Ok((view, claimed.customer_session_token))
    }

    /// The seats a member holds (claimed), with what each gives them: the member's own view.
    pub async fn member_claimed_seats(
        &self,
        caller: &PortalCaller,
    ) -> Result<Vec<ClaimedSeat>, ServiceError> {
        let mut out = Vec::new();
        for seat in self
            .store()
            .active_seats_of_member(caller.member_id)
            .await?
        {
            if seat.status != SeatStatus::Claimed {
                continue;
            }
            let context = self
                .pool_context(&SeatCaller::System(seat.organization_id), seat.pool)
                .await?;
            out.push(
                self.claimed_view(
                    seat.id,
                    seat.email,
                    context.product_name,
                    context.organization_name,
                )
                .await?,
            );
        }
        Ok(out)
    }

    /// A claimed seat as its holder sees it.
    async fn claimed_view(
        &self,
        seat: SeatId,
        email: crate::model::Email,
        product_name: String,
        organization_name: String,
    ) -> Result<ClaimedSeat, ServiceError> {
        let grants = self.store().grants_of_seat(seat).await?;
        let ids: Vec<_> = grants.iter().map(|g| g.id).collect();
        let keys = self.store().license_keys_of_grants(&ids).await?;
        let mut benefits = Vec::new();
        for grant in self.grant_wires(&grants).await? {
            if !grant.is_granted {
                continue;
            }
            let key = keys.iter().find(|k| k.grant_id == grant.id);
            // Only where the merchant lets holders see their activations.
            let activations = match key {
                Some(key) if holders_see_activations(&grant.benefit.properties) => Some(
                    self.store()
                        .activations_of(key.id)
                        .await?
                        .into_iter()
                        .map(|activation| KeyActivation {
                            label: activation.label,
                            activated_at: activation.created_at,
                        })
                        .collect(),
                ),
                _ => None,
            };
            benefits.push(GrantedBenefit {
                description: grant.benefit.description,
                license_key: key.map(|k| k.key.clone()),
                activations,
                activation_limit: key.and_then(|k| k.limit_activations),
                note: grant.properties.note,
            });
        }
        Ok(ClaimedSeat {
            product_name,
            organization_name,
            email,
            benefits,
        })
    }

    /// The claim info of a live invitation, with its seat.
    async fn claim_details(
        &self,
        token: &str,
    ) -> Result<(SeatClaimInfo, SeatRecord), ServiceError> {
        let (seat, _) = self.invited_seat(token).await.map_err(|_| {
            ServiceError::missing(
                "InvalidInvitationToken",
                "this invitation link is invalid, expired or already used",
            )
        })?;
        let caller = SeatCaller::System(seat.organization_id);
        let context = self.pool_context(&caller, seat.pool).await?;
        let info = SeatClaimInfo {
            can_claim: context.unusable.is_none(),
            product_name: context.product_name,
            product_id: context.product_id,
            organization_name: context.organization_name,
            organization_slug: context.organization_slug.to_string(),
            customer_email: seat.email.clone(),
        };
        Ok((info, seat))
    }

    /// Claims the seat an invitation token opens: exactly once, however many try at the same time.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn claim_seat(&self, token: &str) -> Result<CustomerSeatClaimResponse, ServiceError> {
        let (seat, hash) = self.invited_seat(token).await?;
        let member = self
            .store()
            .member(seat.customer_id, seat.member_id)
            .await?
            .ok_or_else(|| invalid_token("the invited member has been removed"))?;
        let caller = SeatCaller::Portal(PortalCaller {
            organization_id: seat.organization_id,
            customer_id: seat.customer_id,
            member_id: member.id,
            role: member.role,
        });
        let context = self.pool_context(&caller, seat.pool).await?;
        if let Some(why) = context.unusable {
            return Err(ServiceError::rejected(
                "SeatNotAvailable",
                format!("this seat cannot be claimed: {why}"),
            ));
        }
        let now = self.now();
        let mut claimed = seat.clone();
        claimed.status = transition(seat.status, SeatEvent::Claim).ok_or_else(|| {
            invalid_token("this invitation link is invalid, expired or already used")
        })?;
        claimed.claimed_at = Some(now);
        claimed.modified_at = Some(now);
        claimed.invitation_token_expires_at = None;
        let (grants, license_keys) = self.grants_for(&claimed, context.product_id).await?;
        let session_token = token::generate(SESSION_TOKEN_PREFIX);
        let session = NewCustomerSession {
            id: CustomerSessionId::new(),
            organization_id: seat.organization_id,
            customer_id: seat.customer_id,
            member_id: member.id,
            hash: session_token.hash.clone(),
            created_at: now,
            expires_at: now + SESSION_TTL,
            return_url: None,
        };
        let wire = seat_wire(claimed.clone(), member.clone().into(), &context.customer);
        let mut events = vec![self.event(seat.organization_id, "customer_seat.claimed", &wire)?];
        events.extend(self.grant_events(&grants, "benefit_grant.created").await?);
        let mut audit = self.audit(&caller, &seat, SeatAction::Claimed);
        (audit.actor_type, audit.actor_id) = (
            crate::model::seat::ActorType::Member,
            Some(member.id.as_uuid()),
        );
        let write = SeatClaimWrite {
            seat_id: seat.id,
            invitation: hash,
            now,
            grants,
            license_keys,
            session,
            audit,
            events,
        };
        if !self.store().claim_seat(&write).await? {
            return Err(invalid_token(
                "this invitation link has just been used, resent or revoked",
            ));
        }
        Ok(CustomerSeatClaimResponse {
            seat: wire,
            customer_session_token: session_token.expose().to_owned(),
        })
    }

    /// The grants of one benefit, newest first (404 when the organization has no such benefit).
    pub async fn list_grants_of_benefit(
        &self,
        caller: &OrganizationCaller,
        benefit_id: crate::model::BenefitId,
        filter: GrantFilter,
        page: PageRequest,
    ) -> Result<ListResource<BenefitGrant>, ServiceError> {
        caller.require_any(&[Scope::BenefitsRead, Scope::BenefitsWrite])?;
        self.store()
            .benefit(caller.organization_id, benefit_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Benefit"))?;
        let filter = GrantFilter {
            benefit_ids: vec![benefit_id],
            ..filter
        };
        self.grant_page(caller, &filter, page).await
    }

    /// Benefit grants of the organization, newest first.
    pub async fn list_benefit_grants(
        &self,
        caller: &OrganizationCaller,
        filter: GrantFilter,
        page: PageRequest,
    ) -> Result<ListResource<BenefitGrant>, ServiceError> {
        caller.require_any(&[
            Scope::BenefitsRead,
            Scope::BenefitsWrite,
            Scope::CustomerSeatsRead,
            Scope::CustomerSeatsWrite,
        ])?;
        self.grant_page(caller, &filter, page).await
    }

    /// One page of the caller's grants, as the API returns them.
    async fn grant_page(
        &self,
        caller: &OrganizationCaller,
        filter: &GrantFilter,
        page: PageRequest,
    ) -> Result<ListResource<BenefitGrant>, ServiceError> {
        let (grants, total) = self
            .store()
            .list_grants(caller.organization_id, filter, page)
            .await?;
        Ok(ListResource::new(
            self.grant_wires(&grants).await?,
            total,
            page,
        ))
    }
}
