//! The filters and sort orders of the lists, as the official SDK sends them, and the SQL each one
//! becomes (`ListSql`, in `list_sql.rs`). A list of values filters with `IN`; a filter on something
//! Seatkeeper never has (a discount, a cancellation reason) matches nothing rather than being
//! ignored; an `organization_id` other than the caller's matches nothing. Sort names a list does not support are
//! refused before they get here ([`sort_columns`]).

use super::{Backend, list_sql::ListSql};
use crate::model::{
    BenefitId, CustomerId, Email, Named, OrganizationId, ProductId, billing::SubscriptionStatus,
    customer::MemberRole, seat::SeatPool,
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
pub const GRANT_SORTS: &[SortKey] = &[
    key("created_at", "created_at"),
    key("granted_at", "granted_at"),
    key("revoked_at", "revoked_at"),
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
pub(super) fn scoped(organization: OrganizationId, organizations: &[OrganizationId]) -> ListSql {
    let mut list = ListSql::of_organization(organization);
    if !organizations.is_empty() && !organizations.contains(&organization) {
        list.nothing();
    }
    list
}

/// The order of a list: the client's criteria (NULLs last, as PostgreSQL and SQLite would not
/// agree otherwise), then `default` when none, then `id` so pages never overlap.
pub(super) fn ordered(list: &mut ListSql, sorting: &Sorting, default: &str) {
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

pub(super) const NEWEST_FIRST: &str = "created_at DESC, id DESC";
pub(super) const OLDEST_FIRST: &str = "created_at ASC, id ASC";

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
