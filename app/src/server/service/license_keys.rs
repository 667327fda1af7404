//! License keys: made with the grants that give them, read and changed by the merchant, and
//! validated, activated and deactivated by the app the key unlocks.
//!
//! The app may call with the merchant's token (`/v1/license-keys/...`) or with nothing but the key
//! (`/v1/customer-portal/license-keys/...`, as in Polar: a desktop or command-line app knows only
//! its key); both name the organization and the key, and answer the same. A key is found only
//! within the named organization, and a token of another organization finds nothing, so a key of
//! one merchant never answers for another. Whether a key validates is decided in this order, as
//! Polar does: it exists, it is granted (a revoked seat's key answers 404 to a validation and 403
//! to an activation), it has not expired, the activation named exists and its conditions match,
//! the benefit and customer named match, the usage stays within its limit. The limits themselves are enforced by the store's guarded
//! updates, so parallel activations cannot pass `limit_activations`.

use std::collections::{HashMap, hash_map::Entry};

use chrono::{DateTime, Months, Utc};
use uuid::Uuid;

use super::{OrganizationCaller, PortalCaller, ServiceError, Services};
use crate::{
    model::{
        BenefitId, CustomerId, LicenseKeyActivationId, LicenseKeyId, ListResource, MemberId,
        OrganizationId, PageRequest, Scope,
        benefit::{BenefitProperties, LicenseKeysProperties, Timeframe},
        customer::Customer,
        license_key::{
            LicenseKeyActivate, LicenseKeyActivation, LicenseKeyActivationRead,
            LicenseKeyDeactivate, LicenseKeyMember, LicenseKeyRead, LicenseKeyStatus,
            LicenseKeyUpdate, LicenseKeyValidate, LicenseKeyWithActivations, ValidatedLicenseKey,
            display_key,
        },
        seat::SeatPool,
    },
    server::store::{
        ActivationRecord, GrantRecord, HeldLicenseKey, KeyTermsChange, LicenseKeyChange,
        LicenseKeyFilter, LicenseKeyRecord,
    },
};

/// A new key: the benefit's prefix, upper-cased, and a random UUID in upper case (Polar's form,
/// e.g. `ACME-3F2504E0-4F89-41D3-9A0C-0305E82C3301`).
pub(super) fn new_key(prefix: Option<&str>) -> String {
    let random = Uuid::new_v4().hyphenated().to_string().to_uppercase();
    match prefix.map(str::trim).filter(|p| !p.is_empty()) {
        Some(prefix) => format!("{}-{random}", prefix.to_uppercase()),
        None => random,
    }
}

/// When a key granted at `granted_at` expires. A key of a one-time order lives for the benefit's
/// `expires` (ttl and timeframe); a subscription's key follows the subscription (revoked with its
/// seat when the subscription ends), as in Polar.
fn expiry(
    properties: &LicenseKeysProperties,
    pool: SeatPool,
    granted_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match pool {
        SeatPool::Subscription(_) => None,
        SeatPool::Order(_) => order_expiry(properties, granted_at),
    }
}

/// When a one-time order's key granted at `granted_at` expires: after the benefit's `expires`.
fn order_expiry(
    properties: &LicenseKeysProperties,
    granted_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let expires = properties.expires.as_ref()?;
    match expires.timeframe {
        Timeframe::Year => {
            granted_at.checked_add_months(Months::new(expires.ttl.saturating_mul(12)))
        }
        Timeframe::Month => granted_at.checked_add_months(Months::new(expires.ttl)),
        Timeframe::Day => granted_at.checked_add_days(chrono::Days::new(u64::from(expires.ttl))),
    }
}

/// A key's limits of activations and of usage, from its benefit's `properties` (a benefit saved
/// before its limits were checked may say 0: no limit then).
fn limits(properties: &LicenseKeysProperties) -> (Option<u32>, Option<u32>) {
    (
        properties
            .activations
            .as_ref()
            .map(|a| a.limit)
            .filter(|limit| *limit > 0),
        properties.limit_usage.filter(|limit| *limit > 0),
    )
}

/// What a license-key benefit's new `properties` make of the keys it gave: its limits, and for
/// each one-time order's key (`order_keys`: id and when it was granted) its expiry recomputed from
/// the grant's time, as Polar re-applies them.
pub(super) fn key_terms(
    properties: &LicenseKeysProperties,
    order_keys: Vec<(LicenseKeyId, DateTime<Utc>)>,
) -> KeyTermsChange {
    let (limit_activations, limit_usage) = limits(properties);
    KeyTermsChange {
        limit_activations,
        limit_usage,
        expiries: order_keys
            .into_iter()
            .map(|(id, granted_at)| (id, order_expiry(properties, granted_at)))
            .collect(),
    }
}

/// The key `grant` gives, for a license-key benefit with `properties`.
pub(super) fn key_of_grant(
    grant: &GrantRecord,
    properties: &LicenseKeysProperties,
) -> LicenseKeyRecord {
    LicenseKeyRecord {
        id: LicenseKeyId::new(),
        organization_id: grant.organization_id,
        created_at: grant.granted_at,
        modified_at: None,
        grant_id: grant.id,
        benefit_id: grant.benefit_id,
        customer_id: grant.customer_id,
        member_id: grant.member_id,
        key: new_key(properties.prefix.as_deref()),
        status: LicenseKeyStatus::Granted,
        limit_activations: limits(properties).0,
        activations: 0,
        usage: 0,
        limit_usage: limits(properties).1,
        validations: 0,
        last_validated_at: None,
        expires_at: expiry(properties, grant.pool, grant.granted_at),
    }
}

/// The largest count or limit a key keeps (Polar's `Int32`).
const MAX_COUNT: u32 = i32::MAX as u32;

/// Who uses a key: the merchant's token (which must be of the organization named), or anyone who
/// holds the key (the public customer-portal routes).
#[derive(Clone, Copy, Debug)]
pub enum KeyUser<'a> {
    Organization(&'a OrganizationCaller),
    KeyHolder,
}

fn key_not_found() -> ServiceError {
    ServiceError::missing("ResourceNotFound", "License key not found.")
}

fn activation_not_found() -> ServiceError {
    ServiceError::missing(
        "ResourceNotFound",
        "License key activation not found, or not an activation of this key.",
    )
}

fn no_longer_active() -> ServiceError {
    ServiceError::missing("ResourceNotFound", "License key is no longer active.")
}

fn expired() -> ServiceError {
    ServiceError::missing("ResourceNotFound", "License key has expired.")
}

fn not_permitted(detail: &str) -> ServiceError {
    ServiceError::NotPermitted(detail.to_owned())
}

/// Whether a benefit's key holders may see (and manage) where their keys are activated: only when
/// the merchant enabled it (`activations.enable_customer_admin`, as Polar).
pub(super) fn holders_see_activations(properties: &BenefitProperties) -> bool {
    match properties {
        BenefitProperties::LicenseKeys(properties) => properties
            .activations
            .as_ref()
            .is_some_and(|a| a.enable_customer_admin),
        BenefitProperties::Custom(_) => false,
    }
}

impl Services {
    /// The key named by organization and key, for `user`: 404 for a token of another organization.
    pub(super) async fn key_for_use(
        &self,
        user: KeyUser<'_>,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<LicenseKeyRecord, ServiceError> {
        Self::may_use_keys_of(user, organization_id)?;
        let key = self
            .store()
            .license_key_by_key(organization_id, key)
            .await?
            .ok_or_else(key_not_found)?;
        self.within_key_limit(user, &key)?;
        Ok(key)
    }

    /// [`Self::key_for_use`] with the key's customer and member, in one read.
    async fn held_key_for_use(
        &self,
        user: KeyUser<'_>,
        organization_id: OrganizationId,
        key: &str,
    ) -> Result<HeldLicenseKey, ServiceError> {
        Self::may_use_keys_of(user, organization_id)?;
        let held = self
            .store()
            .held_license_key_by_key(organization_id, key)
            .await?
            .ok_or_else(key_not_found)?;
        self.within_key_limit(user, &held.key)?;
        Ok(held)
    }

    /// A token needs `license_keys:write` and its own organization's keys (else 404); the public
    /// calls of a key's holder need nothing but the key.
    fn may_use_keys_of(
        user: KeyUser<'_>,
        organization_id: OrganizationId,
    ) -> Result<(), ServiceError> {
        if let KeyUser::Organization(caller) = user {
            caller.require_any(&[Scope::LicenseKeysWrite])?;
            if caller.organization_id != organization_id {
                return Err(key_not_found());
            }
        }
        Ok(())
    }

    /// A key's holder calls within the per-key rate limit (a merchant's token is not limited).
    fn within_key_limit(
        &self,
        user: KeyUser<'_>,
        key: &LicenseKeyRecord,
    ) -> Result<(), ServiceError> {
        if let KeyUser::KeyHolder = user {
            self.license_key_limits.check(key.id)?;
        }
        Ok(())
    }

    fn is_expired(&self, key: &LicenseKeyRecord) -> bool {
        key.expires_at.is_some_and(|at| self.now() >= at)
    }

    /// Checks a key and counts the validation.
    pub async fn validate_license_key(
        &self,
        user: KeyUser<'_>,
        body: LicenseKeyValidate,
    ) -> Result<ValidatedLicenseKey, ServiceError> {
        body.conditions
            .validate()
            .map_err(|msg| ServiceError::invalid_field("conditions", msg))?;
        let HeldLicenseKey {
            key,
            customer,
            member,
        } = self
            .held_key_for_use(user, body.organization_id, &body.key)
            .await?;
        self.usable_for_validation(&key)?;
        let activation = match body.activation_id {
            Some(id) => {
                let activation = self
                    .store()
                    .activation(key.id, id)
                    .await?
                    .ok_or_else(activation_not_found)?;
                if !activation.conditions.0.is_empty() && activation.conditions != body.conditions {
                    return Err(ServiceError::missing(
                        "ResourceNotFound",
                        "License key does not match required conditions.",
                    ));
                }
                Some(activation)
            }
            None => None,
        };
        if body.benefit_id.is_some_and(|id| id != key.benefit_id) {
            return Err(ServiceError::missing(
                "ResourceNotFound",
                "License key does not match given benefit.",
            ));
        }
        if body.customer_id.is_some_and(|id| id != key.customer_id) {
            return Err(ServiceError::missing(
                "ResourceNotFound",
                "License key does not match given user.",
            ));
        }
        let increment = body.increment_usage.unwrap_or(0);
        Self::usage_allows(&key, increment)?;
        let Some(validated) = self
            .store()
            .validate_license_key(key.id, increment, self.now())
            .await?
        else {
            // Changed since it was read (revoked, expired or used up meanwhile): say which.
            let now = self
                .store()
                .license_key(key.organization_id, key.id)
                .await?
                .ok_or_else(key_not_found)?;
            self.usable_for_validation(&now)?;
            Self::usage_allows(&now, increment)?;
            return Err(no_longer_active());
        };
        Ok(ValidatedLicenseKey {
            key: key_wire(&validated, customer.into(), member),
            activation: activation.map(activation_wire),
        })
    }

    pub(super) fn usable_for_validation(&self, key: &LicenseKeyRecord) -> Result<(), ServiceError> {
        if key.status != LicenseKeyStatus::Granted {
            return Err(no_longer_active());
        }
        if self.is_expired(key) {
            return Err(expired());
        }
        Ok(())
    }

    /// 400 when adding `increment` would pass the key's usage limit.
    fn usage_allows(key: &LicenseKeyRecord, increment: u32) -> Result<(), ServiceError> {
        if increment == 0 {
            return Ok(());
        }
        if let Some(limit) = key.limit_usage {
            let remaining = limit.saturating_sub(key.usage);
            if increment > remaining {
                return Err(ServiceError::rejected(
                    "BadRequest",
                    format!("License key only has {remaining} more usages."),
                ));
            }
        }
        Ok(())
    }

    /// Activates a key on a device (or whatever `label` names), within its activation limit.
    pub async fn activate_license_key(
        &self,
        user: KeyUser<'_>,
        body: LicenseKeyActivate,
    ) -> Result<LicenseKeyActivationRead, ServiceError> {
        for (field, metadata) in [("conditions", &body.conditions), ("meta", &body.meta)] {
            metadata
                .validate()
                .map_err(|msg| ServiceError::invalid_field(field, msg))?;
        }
        if body.label.trim().is_empty() || body.label.chars().count() > 500 {
            return Err(ServiceError::invalid_field(
                "label",
                "the label must be 1 to 500 characters",
            ));
        }
        let key = self
            .key_for_use(user, body.organization_id, &body.key)
            .await?;
        let activation = ActivationRecord {
            id: LicenseKeyActivationId::new(),
            license_key_id: key.id,
            created_at: self.now(),
            modified_at: None,
            label: body.label,
            conditions: body.conditions,
            meta: body.meta,
        };
        let Some(key) = self.store().activate_license_key(&activation).await? else {
            // Refused by the guarded update: read again to say why.
            let now = self
                .store()
                .license_key(key.organization_id, key.id)
                .await?
                .ok_or_else(key_not_found)?;
            return Err(self.activation_refusal(&now));
        };
        // The key as the activation left it (granted), not as a later change may have.
        let mut wires = self.license_key_wires(&[key]).await?;
        let license_key = wires.pop().ok_or_else(key_not_found)?;
        Ok(LicenseKeyActivationRead {
            activation: activation_wire(activation),
            license_key,
        })
    }

    /// Why a key takes no activation (Polar's 403s, in its order).
    fn activation_refusal(&self, key: &LicenseKeyRecord) -> ServiceError {
        if key.status != LicenseKeyStatus::Granted {
            return not_permitted(
                "License key is no longer active. This license key can not be activated.",
            );
        }
        if self.is_expired(key) {
            return not_permitted("License key has expired.");
        }
        if key.limit_activations.is_none() {
            return not_permitted(
                "This license key does not support activations. Use the /validate endpoint \
                 instead to check license validity.",
            );
        }
        not_permitted("License key activation limit already reached.")
    }

    /// Removes an activation, freeing its place (whatever the key's status: a revoked key's
    /// activations are gone already).
    pub async fn deactivate_license_key(
        &self,
        user: KeyUser<'_>,
        body: LicenseKeyDeactivate,
    ) -> Result<(), ServiceError> {
        let key = self
            .key_for_use(user, body.organization_id, &body.key)
            .await?;
        if self
            .store()
            .deactivate_license_key(key.id, body.activation_id, self.now())
            .await?
        {
            Ok(())
        } else {
            Err(activation_not_found())
        }
    }

    /// The organization's keys, oldest first.
    pub async fn list_license_keys(
        &self,
        caller: &OrganizationCaller,
        filter: LicenseKeyFilter,
        page: PageRequest,
    ) -> Result<ListResource<LicenseKeyRead>, ServiceError> {
        caller.require_any(&[Scope::LicenseKeysRead, Scope::LicenseKeysWrite])?;
        self.license_key_page(caller.organization_id, &filter, page)
            .await
    }

    async fn license_key_page(
        &self,
        organization_id: OrganizationId,
        filter: &LicenseKeyFilter,
        page: PageRequest,
    ) -> Result<ListResource<LicenseKeyRead>, ServiceError> {
        let (keys, total) = self
            .store()
            .list_license_keys(organization_id, filter, page)
            .await?;
        Ok(ListResource::new(
            self.license_key_wires(&keys).await?,
            total,
            page,
        ))
    }

    /// One key with its live activations.
    pub async fn get_license_key(
        &self,
        caller: &OrganizationCaller,
        id: LicenseKeyId,
    ) -> Result<LicenseKeyWithActivations, ServiceError> {
        caller.require_any(&[Scope::LicenseKeysRead, Scope::LicenseKeysWrite])?;
        let key = self
            .store()
            .license_key(caller.organization_id, id)
            .await?
            .ok_or_else(key_not_found)?;
        self.with_activations(key).await
    }

    async fn with_activations(
        &self,
        key: LicenseKeyRecord,
    ) -> Result<LicenseKeyWithActivations, ServiceError> {
        let activations = self.store().activations_of(key.id).await?;
        let mut wires = self.license_key_wires(&[key]).await?;
        Ok(LicenseKeyWithActivations {
            key: wires.pop().ok_or_else(key_not_found)?,
            activations: activations.into_iter().map(activation_wire).collect(),
        })
    }

    /// One activation of one of the organization's keys, with its key.
    pub async fn get_license_key_activation(
        &self,
        caller: &OrganizationCaller,
        id: LicenseKeyId,
        activation_id: LicenseKeyActivationId,
    ) -> Result<LicenseKeyActivationRead, ServiceError> {
        caller.require_any(&[Scope::LicenseKeysRead, Scope::LicenseKeysWrite])?;
        let key = self
            .store()
            .license_key(caller.organization_id, id)
            .await?
            .ok_or_else(key_not_found)?;
        let activation = self
            .store()
            .activation(key.id, activation_id)
            .await?
            .ok_or_else(activation_not_found)?;
        let mut wires = self.license_key_wires(&[key]).await?;
        Ok(LicenseKeyActivationRead {
            activation: activation_wire(activation),
            license_key: wires.pop().ok_or_else(key_not_found)?,
        })
    }

    /// The merchant changes a key's status, usage, limits or expiry. A revoked key (its seat was
    /// revoked, or the merchant revoked it) stays revoked and has no activations; `disabled`
    /// suspends a key and `granted` restores it.
    pub async fn update_license_key(
        &self,
        caller: &OrganizationCaller,
        id: LicenseKeyId,
        update: LicenseKeyUpdate,
    ) -> Result<LicenseKeyRead, ServiceError> {
        caller.require_any(&[Scope::LicenseKeysWrite])?;
        for (field, limit) in [
            ("limit_activations", update.limit_activations),
            ("limit_usage", update.limit_usage),
        ] {
            if limit == Some(Some(0)) {
                return Err(ServiceError::invalid_field(
                    field,
                    "must be greater than 0, or null for no limit",
                ));
            }
        }
        for (field, value) in [
            ("usage", update.usage),
            ("limit_activations", update.limit_activations.flatten()),
            ("limit_usage", update.limit_usage.flatten()),
        ] {
            if value.is_some_and(|v| v > MAX_COUNT) {
                return Err(ServiceError::invalid_field(
                    field,
                    format!("must be at most {MAX_COUNT}"),
                ));
            }
        }
        let change = LicenseKeyChange {
            status: update.status,
            usage: update.usage,
            limit_activations: update.limit_activations,
            limit_usage: update.limit_usage,
            expires_at: update.expires_at,
        };
        let Some(key) = self
            .store()
            .update_license_key(caller.organization_id, id, &change, self.now())
            .await?
        else {
            // No such key, or one that is revoked: that is final.
            self.store()
                .license_key(caller.organization_id, id)
                .await?
                .ok_or_else(key_not_found)?;
            return Err(ServiceError::invalid_field(
                "status",
                "a revoked key stays revoked; the seat's holder gets a new key with a new seat \
                 (to suspend a key for a while, disable it)",
            ));
        };
        let mut wires = self.license_key_wires(&[key]).await?;
        wires.pop().ok_or_else(key_not_found)
    }

    /// A seat holder's keys: a member sees their own, a billing manager or owner the team's.
    pub async fn portal_license_keys(
        &self,
        caller: &PortalCaller,
        benefit_id: Option<BenefitId>,
        page: PageRequest,
    ) -> Result<ListResource<LicenseKeyRead>, ServiceError> {
        let filter = LicenseKeyFilter {
            benefit_ids: benefit_id.into_iter().collect(),
            ..portal_scope(caller)
        };
        self.license_key_page(caller.organization_id, &filter, page)
            .await
    }

    /// One key the session may see, with its activations when the benefit lets its holders
    /// manage them (`activations.enable_customer_admin`, as Polar; else none are listed).
    pub async fn portal_license_key(
        &self,
        caller: &PortalCaller,
        id: LicenseKeyId,
    ) -> Result<LicenseKeyWithActivations, ServiceError> {
        let scope = portal_scope(caller);
        let key = self
            .store()
            .license_key(caller.organization_id, id)
            .await?
            .filter(|key| key.customer_id == caller.customer_id)
            .filter(|key| scope.member_id.is_none_or(|member| member == key.member_id))
            .ok_or_else(key_not_found)?;
        let holders_manage = self
            .store()
            .benefit(key.organization_id, key.benefit_id)
            .await?
            .is_some_and(|benefit| holders_see_activations(&benefit.properties));
        let mut key = self.with_activations(key).await?;
        if !holders_manage {
            key.activations.clear();
        }
        Ok(key)
    }

    /// Keys as the API returns them; each customer and member is read once.
    pub(super) async fn license_key_wires(
        &self,
        keys: &[LicenseKeyRecord],
    ) -> Result<Vec<LicenseKeyRead>, ServiceError> {
        let mut customers: HashMap<CustomerId, Customer> = HashMap::new();
        let mut members: HashMap<MemberId, Option<LicenseKeyMember>> = HashMap::new();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let customer = match customers.entry(key.customer_id) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => {
                    let customer: Customer = self
                        .store()
                        .customer_even_deleted(key.organization_id, key.customer_id)
                        .await?
                        .ok_or_else(|| ServiceError::not_found("Customer"))?
                        .into();
                    slot.insert(customer).clone()
                }
            };
            let member = match members.entry(key.member_id) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => {
                    let member = self
                        .store()
                        .member_even_removed(key.customer_id, key.member_id)
                        .await?
                        .map(|m| LicenseKeyMember {
                            id: m.id,
                            email: m.email,
                            external_id: m.external_id,
                        });
                    slot.insert(member).clone()
                }
            };
            out.push(key_wire(key, customer, member));
        }
        Ok(out)
    }
}

/// A key as the API shows it, with its customer and member.
fn key_wire(
    key: &LicenseKeyRecord,
    customer: Customer,
    member: Option<LicenseKeyMember>,
) -> LicenseKeyRead {
    LicenseKeyRead {
        id: key.id,
        created_at: key.created_at,
        modified_at: key.modified_at,
        organization_id: key.organization_id,
        customer_id: key.customer_id,
        customer,
        member_id: Some(key.member_id),
        member,
        benefit_id: key.benefit_id,
        key: key.key.clone(),
        display_key: display_key(&key.key),
        status: key.status,
        limit_activations: key.limit_activations,
        usage: key.usage,
        limit_usage: key.limit_usage,
        validations: key.validations,
        last_validated_at: key.last_validated_at,
        expires_at: key.expires_at,
    }
}

/// What a portal session may see: its team's keys, or only its member's own for role `member`.
fn portal_scope(caller: &PortalCaller) -> LicenseKeyFilter {
    LicenseKeyFilter {
        customer_id: Some(caller.customer_id),
        member_id: (!caller.role.can_manage_seats()).then_some(caller.member_id),
        ..LicenseKeyFilter::default()
    }
}

fn activation_wire(activation: ActivationRecord) -> LicenseKeyActivation {
    LicenseKeyActivation {
        id: activation.id,
        license_key_id: activation.license_key_id,
        label: activation.label,
        meta: activation.meta,
        created_at: activation.created_at,
        modified_at: activation.modified_at,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{OrderId, SubscriptionId, benefit::LicenseKeyExpiration};

    #[test]
    fn a_key_is_the_upper_cased_prefix_and_a_random_uuid() {
        let key = new_key(Some(" acme "));
        assert!(key.starts_with("ACME-"), "{key}");
        assert_eq!(key.len(), "ACME-".len() + 36);
        assert_eq!(key, key.to_uppercase());
        assert_ne!(new_key(None), new_key(None));
    }

    #[test]
    fn a_one_time_orders_key_expires_after_the_ttl_and_a_subscriptions_follows_it() {
        let granted = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        let properties = LicenseKeysProperties {
            expires: Some(LicenseKeyExpiration {
                ttl: 1,
                timeframe: Timeframe::Month,
            }),
            ..LicenseKeysProperties::default()
        };
        let order = SeatPool::Order(OrderId::from_uuid(Uuid::now_v7()));
        let subscription = SeatPool::Subscription(SubscriptionId::from_uuid(Uuid::now_v7()));
        assert_eq!(
            expiry(&properties, order, granted),
            Some(Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap()),
            "month arithmetic clamps to the month's end"
        );
        assert_eq!(expiry(&properties, subscription, granted), None);
        let days = LicenseKeysProperties {
            expires: Some(LicenseKeyExpiration {
                ttl: 10,
                timeframe: Timeframe::Day,
            }),
            ..LicenseKeysProperties::default()
        };
        assert_eq!(
            expiry(&days, order, granted),
            Some(Utc.with_ymd_and_hms(2026, 2, 10, 12, 0, 0).unwrap())
        );
        assert_eq!(
            expiry(&LicenseKeysProperties::default(), order, granted),
            None
        );
    }
}
