//! What a customer is entitled to: its state for the merchant's app (and the
//! `customer.state_changed` events that follow a change of it), and the benefit grants a seat
//! holder reads in the customer portal.
//!
//! A state is read fresh, in one statement per table (see the store's `customer_state`). The
//! events are written after the change that caused them, from a fresh read too: the webhook
//! dispatcher notes the customer when it fans out a grant, subscription or customer event, and
//! [`Services::write_state_changed_events`] turns each note into one event.

use std::collections::{HashMap, hash_map::Entry};

use crate::{
    model::{
        BenefitGrantId, CustomerId, ListResource, OrganizationId, PageRequest, Scope,
        customer::Customer,
        entitlements::{
            CustomerBenefitGrant, CustomerPortalCustomer, CustomerState, CustomerStateBenefitGrant,
            CustomerStateSubscription, SubscriberBenefit,
        },
        organization::CheckoutOrganization,
    },
    server::store::{CustomerRecord, GrantFilter, GrantRecord, StateChange, SubscriptionRecord},
};

use super::{OrganizationCaller, PortalCaller, ServiceError, Services, billing::subscription_core};

/// Which customer a merchant asks about.
#[derive(Clone, Copy, Debug)]
pub enum CustomerRef<'a> {
    Id(CustomerId),
    External(&'a str),
}

/// An active subscription as a state shows it: the fields of the API's subscription
/// (`subscription_core`, where `ends_at` and the rest are decided once).
fn state_subscription(s: &SubscriptionRecord) -> CustomerStateSubscription {
    let core = subscription_core(s);
    CustomerStateSubscription {
        id: core.id,
        created_at: core.created_at,
        modified_at: core.modified_at,
        custom_field_data: serde_json::json!({}),
        metadata: core.metadata,
        status: core.status,
        amount: core.amount,
        currency: core.currency,
        recurring_interval: core.recurring_interval,
        current_period_start: core.current_period_start,
        current_period_end: core.current_period_end,
        trial_start: core.trial_start,
        trial_end: core.trial_end,
        cancel_at_period_end: core.cancel_at_period_end,
        canceled_at: core.canceled_at,
        started_at: core.started_at,
        ends_at: core.ends_at,
        product_id: core.product_id,
        discount_id: core.discount_id,
        seats: Some(core.seats),
        units: core.units,
        meters: Vec::new(),
    }
}

impl Services {
    /// A customer of the caller's organization with what it is entitled to now (404 for a
    /// deleted customer, as Polar).
    pub async fn get_customer_state(
        &self,
        caller: &OrganizationCaller,
        customer: CustomerRef<'_>,
    ) -> Result<CustomerState, ServiceError> {
        caller.require_any(&[Scope::CustomersRead, Scope::CustomersWrite])?;
        let record = match customer {
            CustomerRef::Id(id) => self.store().customer(caller.organization_id, id).await?,
            CustomerRef::External(external_id) => {
                self.store()
                    .customer_by_external_id(caller.organization_id, external_id)
                    .await?
            }
        }
        .ok_or_else(|| ServiceError::missing("ResourceNotFound", "Customer not found."))?;
        self.customer_state(record).await
    }

    /// `customer`'s state, read now.
    async fn customer_state(
        &self,
        customer: CustomerRecord,
    ) -> Result<CustomerState, ServiceError> {
        let records = self
            .store()
            .customer_state(customer.organization_id, customer.id)
            .await?;
        let benefits: HashMap<_, _> = records.benefits.iter().map(|b| (b.id, b)).collect();
        let granted_benefits = records
            .grants
            .into_iter()
            .map(|grant| {
                let benefit = benefits
                    .get(&grant.benefit_id)
                    .ok_or_else(|| ServiceError::not_found("Benefit"))?;
                Ok(CustomerStateBenefitGrant {
                    id: grant.id,
                    created_at: grant.created_at,
                    modified_at: grant.modified_at,
                    granted_at: grant.granted_at,
                    benefit_id: grant.benefit_id,
                    benefit_type: benefit.properties.type_name().to_owned(),
                    benefit_metadata: benefit.metadata.clone(),
                    properties: grant.properties,
                    member_id: grant.member_id,
                    subscription_id: grant.pool.subscription_id(),
                    order_id: grant.pool.order_id(),
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(CustomerState {
            customer: customer.into(),
            active_subscriptions: records
                .subscriptions
                .iter()
                .map(state_subscription)
                .collect(),
            granted_benefits,
            active_meters: Vec::new(),
        })
    }

    /// Writes a `customer.state_changed` event, from a fresh read, for up to `limit` customers
    /// whose state changed since their last one; how many were written. A note that cannot be
    /// told (its state cannot be read) is logged and left for the next pass: it never holds up
    /// the others, nor the deliveries after them.
    pub async fn write_state_changed_events(&self, limit: u32) -> Result<usize, ServiceError> {
        let changes = self.store().pending_state_changes(limit).await?;
        let mut written = 0;
        for change in changes {
            match self.tell_state_change(change).await {
                Ok(true) => written += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(
                    organization_id = %change.organization_id,
                    customer_id = %change.customer_id,
                    error = %e,
                    "cannot write customer.state_changed; the change is kept for the next pass"
                ),
            }
        }
        Ok(written)
    }

    /// Writes the event of one noted change; whether one was written.
    async fn tell_state_change(&self, change: StateChange) -> Result<bool, ServiceError> {
        let event = match self
            .store()
            .customer_even_deleted(change.organization_id, change.customer_id)
            .await?
        {
            Some(customer) => {
                let state = self.customer_state(customer).await?;
                Some(self.event(change.organization_id, "customer.state_changed", &state)?)
            }
            // Gone with its organization: nobody to tell; the note is only cleared.
            None => None,
        };
        let written = event.is_some();
        Ok(self
            .store()
            .write_state_changed(change, event.as_ref())
            .await?
            && written)
    }

    /// The benefit grants a portal session may see (not revoked): a member's own, or the team's
    /// for its owner or billing manager. Sorted as asked (Polar's default: the benefit's place in
    /// its product, newest grant first).
    pub async fn portal_benefit_grants(
        &self,
        caller: &PortalCaller,
        filter: GrantFilter,
        page: PageRequest,
    ) -> Result<ListResource<CustomerBenefitGrant>, ServiceError> {
        // A member sees only their own grants: asking for someone else's finds nothing.
        let member_ids = if caller.role.can_manage_seats() {
            filter.member_ids.clone()
        } else if filter.member_ids.is_empty() || filter.member_ids.contains(&caller.member_id) {
            vec![caller.member_id]
        } else {
            return Ok(ListResource::new(Vec::new(), 0, page));
        };
        let filter = GrantFilter {
            organizations: Vec::new(),
            customer_ids: vec![caller.customer_id],
            external_customer_ids: Vec::new(),
            member_ids,
            is_granted: Some(true),
            ..filter
        };
        let (grants, total) = self
            .store()
            .list_grants(caller.organization_id, &filter, page)
            .await?;
        Ok(ListResource::new(
            self.customer_grant_wires(caller.organization_id, grants)
                .await?,
            total,
            page,
        ))
    }

    /// One grant the session may see (404 for a revoked one, as Polar).
    pub async fn portal_benefit_grant(
        &self,
        caller: &PortalCaller,
        id: BenefitGrantId,
    ) -> Result<CustomerBenefitGrant, ServiceError> {
        let not_found = || ServiceError::missing("ResourceNotFound", "Benefit grant not found.");
        let grant = self
            .store()
            .grant(caller.organization_id, id)
            .await?
            .filter(|g| g.customer_id == caller.customer_id && g.revoked_at.is_none())
            .filter(|g| caller.role.can_manage_seats() || g.member_id == caller.member_id)
            .ok_or_else(not_found)?;
        self.customer_grant_wires(caller.organization_id, vec![grant])
            .await?
            .pop()
            .ok_or_else(not_found)
    }

    /// Grants as their holder sees them; the organization, each customer and each benefit read
    /// once.
    async fn customer_grant_wires(
        &self,
        organization_id: OrganizationId,
        grants: Vec<GrantRecord>,
    ) -> Result<Vec<CustomerBenefitGrant>, ServiceError> {
        if grants.is_empty() {
            return Ok(Vec::new());
        }
        let organization = CheckoutOrganization::from(
            &self
                .store()
                .organization(organization_id)
                .await?
                .ok_or_else(|| ServiceError::not_found("Organization"))?,
        );
        let mut customers: HashMap<CustomerId, CustomerPortalCustomer> = HashMap::new();
        let mut benefits: HashMap<_, SubscriberBenefit> = HashMap::new();
        let mut out = Vec::with_capacity(grants.len());
        for grant in grants {
            let customer = match customers.entry(grant.customer_id) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => {
                    let customer: Customer = self
                        .store()
                        .customer_even_deleted(organization_id, grant.customer_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("Customer"))?
                        .into();
                    slot.insert(customer.into()).clone()
                }
            };
            let benefit = match benefits.entry(grant.benefit_id) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => {
                    let benefit = self
                        .store()
                        .benefit(organization_id, grant.benefit_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("Benefit"))?;
                    slot.insert(SubscriberBenefit {
                        id: benefit.id,
                        created_at: benefit.created_at,
                        modified_at: benefit.modified_at,
                        properties: benefit.properties,
                        description: benefit.description,
                        selectable: true,
                        deletable: true,
                        is_deleted: benefit.deleted_at.is_some(),
                        organization_id,
                        organization: organization.clone(),
                    })
                    .clone()
                }
            };
            out.push(CustomerBenefitGrant {
                id: grant.id,
                created_at: grant.created_at,
                modified_at: grant.modified_at,
                granted_at: Some(grant.granted_at),
                revoked_at: grant.revoked_at,
                is_granted: grant.revoked_at.is_none(),
                is_revoked: grant.revoked_at.is_some(),
                customer_id: grant.customer_id,
                member_id: Some(grant.member_id),
                benefit_id: grant.benefit_id,
                subscription_id: grant.pool.subscription_id(),
                order_id: grant.pool.order_id(),
                customer,
                benefit,
                properties: grant.properties,
            });
        }
        Ok(out)
    }
}
