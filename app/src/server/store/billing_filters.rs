//! The filters of the billing lists (checkouts, subscriptions, orders) and of benefit grants, as
//! the official SDK sends them, and the SQL each becomes; the rules they follow are in
//! [`filters`](super::filters).

use chrono::{DateTime, Utc};

use super::{
    Backend,
    filters::{MetadataFilter, NEWEST_FIRST, Sorting, ordered, scoped},
    list_sql::ListSql,
};
use crate::model::{
    CheckoutId, CustomerId, MemberId, Named, OrganizationId, ProductId, SubscriptionId,
    billing::{CheckoutStatus, OrderStatus, ProductBillingType, SubscriptionStatus},
};

#[derive(Clone, Debug, Default)]
pub struct CheckoutFilter {
    pub organizations: Vec<OrganizationId>,
    pub product_ids: Vec<ProductId>,
    pub customer_ids: Vec<CustomerId>,
    pub external_customer_ids: Vec<String>,
    pub statuses: Vec<CheckoutStatus>,
    /// Case-insensitive part of the customer's email.
    pub query: Option<String>,
    pub sorting: Sorting,
}

impl CheckoutFilter {
    /// `now` tells an `open` checkout from an `expired` one (expiry is read, not written).
    pub(super) fn sql(&self, organization: OrganizationId, now: DateTime<Utc>) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("product_id", self.product_ids.iter().copied())
            .any_of("customer_id", self.customer_ids.iter().copied())
            .any_of(
                "external_customer_id",
                self.external_customer_ids.iter().cloned(),
            )
            .search(&["customer_email"], self.query.as_deref());
        if !self.statuses.is_empty() {
            let mut alternatives = Vec::new();
            for status in &self.statuses {
                let condition = match status {
                    CheckoutStatus::Open => {
                        format!(
                            "(status = 'open' AND expires_at > {})",
                            list.bind(now.into())
                        )
                    }
                    CheckoutStatus::Expired => format!(
                        "(status = 'expired' OR (status = 'open' AND expires_at <= {}))",
                        list.bind(now.into())
                    ),
                    other => format!("status = '{}'", other.as_str()),
                };
                alternatives.push(condition);
            }
            list.when(&format!("({})", alternatives.join(" OR ")));
        }
        ordered(&mut list, &self.sorting, NEWEST_FIRST);
        list
    }
}

/// Customers of the list's organization with one of these external ids.
fn customers_with_external_ids(list: &mut ListSql, external_ids: &[String]) {
    if external_ids.is_empty() {
        return;
    }
    let Some(organization) = list.organization().map(str::to_owned) else {
        // Only organization lists filter by external id; elsewhere nothing could match.
        list.nothing();
        return;
    };
    let placeholders: Vec<String> = external_ids
        .iter()
        .map(|id| list.bind(id.clone().into()))
        .collect();
    list.when(&format!(
        "customer_id IN (SELECT c.id FROM customers c WHERE c.organization_id = {organization} \
         AND c.external_id IN ({}))",
        placeholders.join(", ")
    ));
}

#[derive(Clone, Debug, Default)]
pub struct SubscriptionFilter {
    pub organizations: Vec<OrganizationId>,
    pub product_ids: Vec<ProductId>,
    pub customer_ids: Vec<CustomerId>,
    pub external_customer_ids: Vec<String>,
    /// Subscriptions never carry a discount here: any id finds nothing.
    pub discount_ids: Vec<String>,
    pub active: Option<bool>,
    pub statuses: Vec<SubscriptionStatus>,
    pub cancel_at_period_end: Option<bool>,
    /// No customer gives a cancellation reason here: any reason finds nothing.
    pub cancellation_reasons: Vec<String>,
    pub canceled_at_after: Option<DateTime<Utc>>,
    pub canceled_at_before: Option<DateTime<Utc>>,
    pub started_after: Option<DateTime<Utc>>,
    pub started_before: Option<DateTime<Utc>>,
    pub metadata: MetadataFilter,
    pub sorting: Sorting,
}

impl SubscriptionFilter {
    pub(super) fn sql(&self, organization: OrganizationId, backend: Backend) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("product_id", self.product_ids.iter().copied())
            .any_of("customer_id", self.customer_ids.iter().copied())
            .any_of("status", self.statuses.iter().map(|s| s.as_str()))
            .with("cancel_at_period_end = {}", self.cancel_at_period_end)
            .with("canceled_at >= {}", self.canceled_at_after)
            .with("canceled_at <= {}", self.canceled_at_before)
            .with("started_at >= {}", self.started_after)
            .with("started_at <= {}", self.started_before)
            .metadata(backend, &self.metadata);
        customers_with_external_ids(&mut list, &self.external_customer_ids);
        match self.active {
            Some(true) => {
                list.any_of(
                    "status",
                    SubscriptionStatus::ACTIVE.iter().map(|s| s.as_str()),
                );
            }
            Some(false) => {
                list.none_of(
                    "status",
                    SubscriptionStatus::ACTIVE.iter().map(|s| s.as_str()),
                );
            }
            None => {}
        }
        if !self.discount_ids.is_empty() || !self.cancellation_reasons.is_empty() {
            list.nothing();
        }
        ordered(&mut list, &self.sorting, NEWEST_FIRST);
        list
    }
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub organizations: Vec<OrganizationId>,
    pub product_ids: Vec<ProductId>,
    pub billing_types: Vec<ProductBillingType>,
    /// Orders never carry a discount here: any id finds nothing.
    pub discount_ids: Vec<String>,
    pub customer_ids: Vec<CustomerId>,
    pub external_customer_ids: Vec<String>,
    pub checkout_ids: Vec<CheckoutId>,
    pub subscription_ids: Vec<SubscriptionId>,
    pub statuses: Vec<OrderStatus>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub metadata: MetadataFilter,
    pub sorting: Sorting,
}

impl OrderFilter {
    pub(super) fn sql(&self, organization: OrganizationId, backend: Backend) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("product_id", self.product_ids.iter().copied())
            .any_of("customer_id", self.customer_ids.iter().copied())
            .any_of("checkout_id", self.checkout_ids.iter().copied())
            .any_of("subscription_id", self.subscription_ids.iter().copied())
            .any_of("status", self.statuses.iter().map(|s| s.as_str()))
            .with("created_at >= {}", self.created_after)
            .with("created_at <= {}", self.created_before)
            .metadata(backend, &self.metadata);
        customers_with_external_ids(&mut list, &self.external_customer_ids);
        let one_time = self.billing_types.contains(&ProductBillingType::OneTime);
        let recurring = self.billing_types.contains(&ProductBillingType::Recurring);
        match (one_time, recurring) {
            (true, false) => {
                list.when("subscription_id IS NULL");
            }
            (false, true) => {
                list.when("subscription_id IS NOT NULL");
            }
            _ => {}
        }
        if !self.discount_ids.is_empty() {
            list.nothing();
        }
        ordered(&mut list, &self.sorting, NEWEST_FIRST);
        list
    }
}

#[derive(Clone, Debug, Default)]
pub struct GrantFilter {
    pub organizations: Vec<OrganizationId>,
    pub customer_ids: Vec<CustomerId>,
    pub external_customer_ids: Vec<String>,
    pub member_ids: Vec<MemberId>,
    /// `true`: live grants only; `false`: revoked ones only.
    pub is_granted: Option<bool>,
    pub sorting: Sorting,
}

impl GrantFilter {
    pub(super) fn sql(&self, organization: OrganizationId) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("customer_id", self.customer_ids.iter().copied())
            .any_of("member_id", self.member_ids.iter().copied());
        customers_with_external_ids(&mut list, &self.external_customer_ids);
        match self.is_granted {
            Some(true) => {
                list.when("revoked_at IS NULL");
            }
            Some(false) => {
                list.when("revoked_at IS NOT NULL");
            }
            None => {}
        }
        ordered(&mut list, &self.sorting, NEWEST_FIRST);
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organization_id_other_than_the_callers_finds_nothing() {
        let mine = OrganizationId::from_uuid(uuid::Uuid::now_v7());
        let other = OrganizationId::from_uuid(uuid::Uuid::now_v7());
        let filter = OrderFilter {
            organizations: vec![other],
            ..Default::default()
        };
        assert!(
            filter
                .sql(mine, Backend::Sqlite)
                .count("orders")
                .0
                .contains("1 = 0")
        );
        let filter = OrderFilter {
            organizations: vec![other, mine],
            ..Default::default()
        };
        assert!(
            !filter
                .sql(mine, Backend::Sqlite)
                .count("orders")
                .0
                .contains("1 = 0")
        );
    }

    #[test]
    fn a_discount_filter_finds_nothing_since_nothing_has_a_discount() {
        let mine = OrganizationId::from_uuid(uuid::Uuid::now_v7());
        let filter = SubscriptionFilter {
            discount_ids: vec!["d".into()],
            ..Default::default()
        };
        assert!(
            filter
                .sql(mine, Backend::Postgres)
                .count("subscriptions")
                .0
                .contains("1 = 0")
        );
    }
}
