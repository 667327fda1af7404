//! The filters and sort orders of the lists, as the official SDK sends them, and the SQL each one
//! becomes (`ListSql`, in `list_sql.rs`). A list of values filters with `IN`; a filter on something
//! Seatkeeper never has (a discount, a cancellation reason) matches nothing rather than being
//! ignored; an `organization_id` other than the caller's matches nothing. Sort names a list does not support are
//! refused before they get here ([`sort_columns`]).

use chrono::{DateTime, Utc};

use super::{
    Backend,
    list_sql::{Bound, ListSql},
};
use crate::model::{
    BenefitId, CheckoutId, CustomerId, Email, MemberId, Named, OrganizationId, ProductId,
    SubscriptionId,
    billing::{CheckoutStatus, OrderStatus, ProductBillingType, SubscriptionStatus},
    customer::MemberRole,
    license_key::LicenseKeyStatus,
    seat::SeatPool,
};

/// Sort criteria, resolved to columns: `(column expression, descending)`.
pub type Sorting = Vec<(&'static str, bool)>;

/// `metadata[key]=value` filters: each key with its accepted values.
pub type MetadataFilter = Vec<(String, Vec<String>)>;

/// A sortable name of a list and the column it sorts by.
pub struct SortKey {
    pub name: &'static str,
    pub column: &'static str,
}

const fn key(name: &'static str, column: &'static str) -> SortKey {
    SortKey { name, column }
}

pub const ORGANIZATION_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("slug", "slug"),
    key("name", "name"),
];
pub const PRODUCT_SORTS: &[SortKey] = &[key("created_at", "created_at"), key("name", "name")];
pub const BENEFIT_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("description", "description"),
    key("type", "type"),
];
pub const CUSTOMER_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("email", "email"),
    key("name", "name"),
];
pub const MEMBER_SORTS: &[SortKey] = &[key("created_at", "created_at")];
pub const CHECKOUT_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("expires_at", "expires_at"),
    key("status", "status"),
];
/// The customer portal's subscription sort keys (Polar's `CustomerSubscriptionSortProperty`).
pub const PORTAL_SUBSCRIPTION_SORTS: &[SortKey] = &[
    key("started_at", "started_at"),
    key("amount", "amount"),
    key("status", "status"),
    key("organization", SUBSCRIPTION_ORGANIZATION_NAME),
    key("product", SUBSCRIPTION_PRODUCT_NAME),
];

pub const SUBSCRIPTION_SORTS: &[SortKey] = &[
    key("status", "status"),
    key("started_at", "started_at"),
    key("current_period_end", "current_period_end"),
    key("ended_at", "ended_at"),
    key(
        "ends_at",
        "CASE WHEN cancel_at_period_end THEN current_period_end ELSE ended_at END",
    ),
    key("amount", "amount"),
];
pub const ORDER_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("status", "status"),
    key("amount", "total_amount"),
    key("net_amount", "total_amount"),
];
pub const REFUND_SORTS: &[SortKey] = &[key("created_at", "created_at"), key("amount", "amount")];
/// What the customer portal sorts its orders by (Polar's `CustomerOrderSortProperty`).
pub const PORTAL_ORDER_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("amount", "total_amount"),
    key("net_amount", "total_amount"),
    key(
        "product",
        "(SELECT pr.name FROM products pr WHERE pr.id = orders.product_id)",
    ),
    key("subscription", "subscription_id"),
];
pub const GRANT_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("granted_at", "granted_at"),
    key("revoked_at", "revoked_at"),
];
/// The type of a grant's benefit.
const GRANT_BENEFIT_TYPE: &str =
    "(SELECT b.type FROM benefits b WHERE b.id = benefit_grants.benefit_id)";
/// What the customer portal sorts grants by (Polar's `CustomerBenefitGrantSortProperty`):
/// `product_benefit` is the benefit's place in the product of the grant's seat; a portal session
/// sees one organization, so `organization` orders nothing.
pub const PORTAL_GRANT_SORTS: &[SortKey] = &[
    key("granted_at", "granted_at"),
    key("type", GRANT_BENEFIT_TYPE),
    key("organization", "organization_id"),
    key(
        "product_benefit",
        "(SELECT pb.position FROM product_benefits pb WHERE pb.benefit_id = benefit_grants.benefit_id \
         AND pb.product_id = COALESCE(\
         (SELECT s.product_id FROM subscriptions s WHERE s.id = benefit_grants.subscription_id), \
         (SELECT o.product_id FROM orders o WHERE o.id = benefit_grants.order_id)))",
    ),
];

/// Resolves `sorting=-created_at&sorting=name` against a list's sort keys; the first name it does
/// not know is the error.
pub fn sort_columns(keys: &[SortKey], requested: &[String]) -> Result<Sorting, String> {
    requested
        .iter()
        .map(|raw| {
            let (name, descending) = match raw.strip_prefix('-') {
                Some(name) => (name, true),
                None => (raw.as_str(), false),
            };
            keys.iter()
                .find(|key| key.name == name)
                .map(|key| (key.column, descending))
                .ok_or_else(|| name.to_owned())
        })
        .collect()
}

/// The names a list can be sorted by, for error messages.
pub fn sort_names(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|key| key.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rows of one seat pool (seats, audit entries), oldest first.
pub(super) fn pool_rows(pool: super::SeatPool) -> ListSql {
    let mut list = match pool {
        SeatPool::Subscription(id) => ListSql::where_eq("subscription_id", id),
        SeatPool::Order(id) => ListSql::where_eq("order_id", id),
    };
    list.order_by(OLDEST_FIRST.to_owned());
    list
}

/// A list of `organization`, restricted to `organizations` when the client named some (a list
/// naming only other organizations is empty).
fn scoped(organization: OrganizationId, organizations: &[OrganizationId]) -> ListSql {
    let mut list = ListSql::of_organization(organization);
    if !organizations.is_empty() && !organizations.contains(&organization) {
        list.nothing();
    }
    list
}

/// The order of a list: the client's criteria (NULLs last, as PostgreSQL and SQLite would not
/// agree otherwise), then `default` when none, then `id` so pages never overlap.
fn ordered(list: &mut ListSql, sorting: &Sorting, default: &str) {
    if sorting.is_empty() {
        list.order_by(default.to_owned());
        return;
    }
    let mut parts: Vec<String> = sorting
        .iter()
        .map(|(column, descending)| {
            let direction = if *descending { "DESC" } else { "ASC" };
            format!("({column}) IS NULL, {column} {direction}")
        })
        .collect();
    parts.push(if sorting[0].1 { "id DESC" } else { "id ASC" }.to_owned());
    list.order_by(parts.join(", "));
}

const NEWEST_FIRST: &str = "created_at DESC, id DESC";
const OLDEST_FIRST: &str = "created_at ASC, id ASC";

#[derive(Clone, Debug, Default)]
pub struct OrganizationFilter {
    pub slugs: Vec<String>,
    pub sorting: Sorting,
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    pub organizations: Vec<OrganizationId>,
    pub ids: Vec<ProductId>,
    /// Case-insensitive part of the name.
    pub query: Option<String>,
    pub is_archived: Option<bool>,
    pub is_recurring: Option<bool>,
    pub benefit_ids: Vec<BenefitId>,
    /// Every product is public here: asking for `draft` or `private` only finds nothing.
    pub visibilities: Vec<String>,
    pub metadata: MetadataFilter,
    pub sorting: Sorting,
}

impl ProductFilter {
    pub(super) fn sql(&self, organization: OrganizationId, backend: Backend) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("id", self.ids.iter().copied())
            .search(&["name"], self.query.as_deref())
            .with("is_archived = {}", self.is_archived)
            .with("(recurring_interval IS NOT NULL) = {}", self.is_recurring)
            .metadata(backend, &self.metadata);
        if !self.benefit_ids.is_empty() {
            let mut inner = Vec::new();
            for id in &self.benefit_ids {
                inner.push(list.bind((*id).into()));
            }
            list.when(&format!(
                "id IN (SELECT product_id FROM product_benefits WHERE benefit_id IN ({}))",
                inner.join(", ")
            ));
        }
        if !self.visibilities.is_empty() && !self.visibilities.iter().any(|v| v == "public") {
            list.nothing();
        }
        ordered(&mut list, &self.sorting, OLDEST_FIRST);
        list
    }
}

#[derive(Clone, Debug, Default)]
pub struct BenefitFilter {
    pub organizations: Vec<OrganizationId>,
    pub kinds: Vec<String>,
    pub ids: Vec<BenefitId>,
    pub exclude_ids: Vec<BenefitId>,
    /// Case-insensitive part of the description.
    pub query: Option<String>,
    pub metadata: MetadataFilter,
    pub sorting: Sorting,
}

impl BenefitFilter {
    pub(super) fn sql(&self, organization: OrganizationId, backend: Backend) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.when("deleted_at IS NULL")
            .any_of("type", self.kinds.iter().cloned())
            .any_of("id", self.ids.iter().copied())
            .none_of("id", self.exclude_ids.iter().copied())
            .search(&["description"], self.query.as_deref())
            .metadata(backend, &self.metadata);
        ordered(&mut list, &self.sorting, OLDEST_FIRST);
        list
    }
}

#[derive(Clone, Debug, Default)]
pub struct CustomerFilter {
    pub organizations: Vec<OrganizationId>,
    /// Exact (lower-cased) email.
    pub email: Option<Email>,
    /// Case-insensitive part of the name, email or external id.
    pub query: Option<String>,
    /// With (or without) at least one trialing, active or past-due subscription.
    pub active: Option<bool>,
    pub metadata: MetadataFilter,
    pub sorting: Sorting,
}

impl CustomerFilter {
    pub(super) fn sql(&self, organization: OrganizationId, backend: Backend) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.when("deleted_at IS NULL")
            .with("email = {}", self.email.as_ref().map(|e| e.as_str()))
            .search(&["name", "email", "external_id"], self.query.as_deref())
            .metadata(backend, &self.metadata);
        if let Some(active) = self.active {
            let statuses: Vec<String> = SubscriptionStatus::ACTIVE
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            list.when(&format!(
                "{} (SELECT 1 FROM subscriptions s WHERE s.customer_id = customers.id AND s.status IN ({}))",
                if active { "EXISTS" } else { "NOT EXISTS" },
                statuses.join(", ")
            ));
        }
        ordered(&mut list, &self.sorting, NEWEST_FIRST);
        list
    }
}

#[derive(Clone, Debug, Default)]
pub struct MemberFilter {
    pub roles: Vec<MemberRole>,
    pub sorting: Sorting,
}

impl MemberFilter {
    pub(super) fn sql(&self, customer: CustomerId) -> ListSql {
        let mut list = ListSql::where_eq("customer_id", customer);
        list.when("deleted_at IS NULL")
            .any_of("role", self.roles.iter().map(|r| r.as_str()));
        ordered(&mut list, &self.sorting, OLDEST_FIRST);
        list
    }
}

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
    /// Text in the product's or the organization's name (the customer portal's search).
    pub query: Option<String>,
    pub sorting: Sorting,
}

/// A subscription's product name and organization name, for searching and sorting by them.
const SUBSCRIPTION_PRODUCT_NAME: &str =
    "(SELECT pr.name FROM products pr WHERE pr.id = subscriptions.product_id)";
const SUBSCRIPTION_ORGANIZATION_NAME: &str =
    "(SELECT o.name FROM organizations o WHERE o.id = subscriptions.organization_id)";

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
            .search(
                &[SUBSCRIPTION_PRODUCT_NAME, SUBSCRIPTION_ORGANIZATION_NAME],
                self.query.as_deref(),
            )
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
    /// Text in the product's or the organization's name (the customer portal's search).
    pub query: Option<String>,
    pub sorting: Sorting,
}

/// An order's product name and organization name, for searching and sorting by them.
const ORDER_PRODUCT_NAME: &str =
    "(SELECT pr.name FROM products pr WHERE pr.id = orders.product_id)";
const ORDER_ORGANIZATION_NAME: &str =
    "(SELECT o.name FROM organizations o WHERE o.id = orders.organization_id)";

impl OrderFilter {
    pub(super) fn sql(&self, organization: OrganizationId, backend: Backend) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("product_id", self.product_ids.iter().copied())
            .any_of("customer_id", self.customer_ids.iter().copied())
            .any_of("checkout_id", self.checkout_ids.iter().copied())
            .any_of("subscription_id", self.subscription_ids.iter().copied())
            .with("created_at >= {}", self.created_after)
            .with("created_at <= {}", self.created_before)
            .search(
                &[ORDER_PRODUCT_NAME, ORDER_ORGANIZATION_NAME],
                self.query.as_deref(),
            )
            .metadata(backend, &self.metadata);
        if !self.statuses.is_empty() {
            // `paid` and `partially_refunded` are one stored status told apart by what was
            // refunded (see `order_wire`).
            let alternatives: Vec<String> = self
                .statuses
                .iter()
                .map(|status| match status {
                    OrderStatus::Paid => "(status = 'paid' AND refunded_amount = 0)".to_owned(),
                    OrderStatus::PartiallyRefunded => {
                        "(status = 'paid' AND refunded_amount > 0)".to_owned()
                    }
                    other => format!("status = '{}'", other.as_str()),
                })
                .collect();
            list.when(&format!("({})", alternatives.join(" OR ")));
        }
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

/// Which license keys a list shows, oldest first.
#[derive(Clone, Debug, Default)]
pub struct LicenseKeyFilter {
    pub organizations: Vec<OrganizationId>,
    pub benefit_ids: Vec<BenefitId>,
    pub statuses: Vec<LicenseKeyStatus>,
    /// Only the keys of this customer (a portal session's team).
    pub customer_id: Option<CustomerId>,
    /// Only the keys of this member (a seat holder's own).
    pub member_id: Option<MemberId>,
}

impl LicenseKeyFilter {
    pub(super) fn sql(&self, organization: OrganizationId) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("benefit_id", self.benefit_ids.iter().copied())
            .any_of(
                "status",
                self.statuses.iter().map(|s| Bound::from(s.as_str())),
            )
            .with("customer_id = {}", self.customer_id)
            .with("member_id = {}", self.member_id)
            .order_by("created_at ASC, id ASC".to_owned());
        list
    }
}

#[derive(Clone, Debug, Default)]
pub struct GrantFilter {
    pub organizations: Vec<OrganizationId>,
    pub customer_ids: Vec<CustomerId>,
    pub external_customer_ids: Vec<String>,
    pub member_ids: Vec<MemberId>,
    pub benefit_ids: Vec<BenefitId>,
    /// `custom` or `license_keys`.
    pub benefit_types: Vec<String>,
    /// Case-insensitive part of the benefit's description.
    pub benefit_query: Option<String>,
    pub subscription_ids: Vec<SubscriptionId>,
    pub order_ids: Vec<crate::model::OrderId>,
    /// Grants of the subscriptions or orders these checkouts bought.
    pub checkout_ids: Vec<CheckoutId>,
    /// `true`: live grants only; `false`: revoked ones only.
    pub is_granted: Option<bool>,
    pub sorting: Sorting,
}

impl GrantFilter {
    pub(super) fn sql(&self, organization: OrganizationId) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("customer_id", self.customer_ids.iter().copied())
            .any_of("member_id", self.member_ids.iter().copied())
            .any_of("benefit_id", self.benefit_ids.iter().copied())
            .any_of(
                GRANT_BENEFIT_TYPE,
                self.benefit_types.iter().map(|t| Bound::from(t.as_str())),
            )
            .search(
                &["(SELECT b.description FROM benefits b WHERE b.id = benefit_grants.benefit_id)"],
                self.benefit_query.as_deref(),
            )
            .any_of("subscription_id", self.subscription_ids.iter().copied())
            .any_of("order_id", self.order_ids.iter().copied())
            .any_of(
                "COALESCE(\
                 (SELECT s.checkout_id FROM subscriptions s WHERE s.id = benefit_grants.subscription_id), \
                 (SELECT o.checkout_id FROM orders o WHERE o.id = benefit_grants.order_id))",
                self.checkout_ids.iter().copied(),
            );
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
    fn sort_names_resolve_to_columns_and_an_unknown_one_is_named() {
        let sorting = sort_columns(ORDER_SORTS, &["-created_at".into(), "amount".into()]).unwrap();
        assert_eq!(sorting, vec![("created_at", true), ("total_amount", false)]);
        assert_eq!(
            sort_columns(ORDER_SORTS, &["-customer".into()]).unwrap_err(),
            "customer"
        );
    }

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

    #[test]
    fn client_sorting_puts_nulls_last_and_ends_with_the_id() {
        let mut list = ListSql::of_organization(OrganizationId::from_uuid(uuid::Uuid::nil()));
        ordered(&mut list, &vec![("ended_at", true)], NEWEST_FIRST);
        let (sql, _) = list.page("id", "subscriptions", crate::model::PageRequest::default());
        assert!(
            sql.contains("ORDER BY (ended_at) IS NULL, ended_at DESC, id DESC"),
            "{sql}"
        );
    }
}

/// What `GET /v1/refunds` selects.
#[derive(Clone, Debug, Default)]
pub struct RefundFilter {
    pub organizations: Vec<OrganizationId>,
    pub ids: Vec<crate::model::RefundId>,
    pub order_ids: Vec<crate::model::OrderId>,
    pub subscription_ids: Vec<SubscriptionId>,
    pub customer_ids: Vec<CustomerId>,
    pub external_customer_ids: Vec<String>,
    /// Succeeded (`true`) or not (`false`).
    pub succeeded: Option<bool>,
    pub sorting: Sorting,
}

impl RefundFilter {
    pub(super) fn sql(&self, organization: OrganizationId) -> ListSql {
        let mut list = scoped(organization, &self.organizations);
        list.any_of("id", self.ids.iter().copied())
            .any_of("order_id", self.order_ids.iter().copied())
            .any_of("subscription_id", self.subscription_ids.iter().copied())
            .any_of("customer_id", self.customer_ids.iter().copied());
        match self.succeeded {
            Some(true) => {
                list.when("status = 'succeeded'");
            }
            Some(false) => {
                list.when("status <> 'succeeded'");
            }
            None => {}
        }
        customers_with_external_ids(&mut list, &self.external_customer_ids);
        ordered(&mut list, &self.sorting, NEWEST_FIRST);
        list
    }
}
