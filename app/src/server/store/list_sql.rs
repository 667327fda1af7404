//! The `WHERE` and `ORDER BY` of filtered lists, built from typed filters into SQL with `$n`
//! placeholders and the values to bind to them. Every list starts scoped to one organization; each
//! filter given adds one condition (a list of values is an `IN`), so a filter is never silently
//! dropped. Column names and sort orders come only from the store's own constants, never from a
//! request: what a client sends is always a bound value.
//!
//! Both backends run the same text, but one: metadata filters read JSON stored as text, which SQLite
//! does with `json_extract` and PostgreSQL with `::jsonb ->>` (see [`ListSql::metadata`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Backend,
    db::{Bind, Value},
};
use crate::model::{OrganizationId, PageRequest, TypedId};

/// A value bound to a placeholder.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Bound {
    Uuid(Uuid),
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
    Int(i64),
}

impl<T: TypedId> From<T> for Bound {
    fn from(id: T) -> Self {
        Self::Uuid(id.uuid())
    }
}

impl<'q> Bind<'q> for Bound {
    /// A list's values are never absent (a filter not given adds no condition), so this null is
    /// never bound.
    const NULL: Value<'q> = Value::Text(None);

    fn value(self) -> Value<'q> {
        match self {
            Self::Uuid(v) => Value::Uuid(Some(v)),
            Self::Text(v) => Value::Text(Some(v.into())),
            Self::Bool(v) => Value::Bool(Some(v)),
            Self::Time(v) => Value::Time(Some(v)),
            Self::Int(v) => Value::Int(Some(v)),
        }
    }
}

impl From<&str> for Bound {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Bound {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<DateTime<Utc>> for Bound {
    fn from(time: DateTime<Utc>) -> Self {
        Self::Time(time)
    }
}

impl From<bool> for Bound {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// A case-insensitive `LIKE` pattern matching `query` anywhere, with `%`, `_` and `\` escaped.
fn like_pattern(query: &str) -> String {
    let escaped = query
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A filtered, ordered list query being built.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ListSql {
    conditions: Vec<String>,
    binds: Vec<Bound>,
    order: String,
    /// The placeholder of the organization a list is scoped to, if it is.
    organization: Option<String>,
}

impl ListSql {
    /// Rows of `organization` (its column is `organization_id`), newest first until
    /// [`ListSql::order_by`] says otherwise.
    pub(super) fn of_organization(organization: OrganizationId) -> Self {
        let mut list = Self {
            conditions: Vec::new(),
            binds: Vec::new(),
            order: "created_at DESC, id DESC".to_owned(),
            organization: None,
        };
        let org = list.bind(Bound::Uuid(organization.as_uuid()));
        list.conditions.push(format!("organization_id = {org}"));
        list.organization = Some(org);
        list
    }

    /// Rows where `column = value`, for a list not scoped by organization (e.g. a customer's members).
    pub(super) fn where_eq(column: &str, value: impl Into<Bound>) -> Self {
        let mut list = Self {
            conditions: Vec::new(),
            binds: Vec::new(),
            order: "created_at DESC, id DESC".to_owned(),
            organization: None,
        };
        let placeholder = list.bind(value.into());
        list.conditions.push(format!("{column} = {placeholder}"));
        list
    }

    /// The placeholder of the organization the list is scoped to (for subqueries that must stay in
    /// it); none for a list not scoped by organization.
    pub(super) fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }

    /// Adds `value` to the binds; its placeholder.
    pub(super) fn bind(&mut self, value: Bound) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// `column` is one of `values`; no condition when `values` is empty.
    pub(super) fn any_of<V: Into<Bound>>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        self.membership(column, "IN", values)
    }

    /// `column` is none of `values`; no condition when `values` is empty.
    pub(super) fn none_of<V: Into<Bound>>(
        &mut self,
        column: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        self.membership(column, "NOT IN", values)
    }

    /// `column <operator> (values...)`, when there are values.
    fn membership<V: Into<Bound>>(
        &mut self,
        column: &str,
        operator: &str,
        values: impl IntoIterator<Item = V>,
    ) -> &mut Self {
        let placeholders: Vec<String> = values
            .into_iter()
            .map(|value| self.bind(value.into()))
            .collect();
        if !placeholders.is_empty() {
            self.conditions
                .push(format!("{column} {operator} ({})", placeholders.join(", ")));
        }
        self
    }

    /// A condition with one value, written with `{}` where its placeholder goes
    /// (e.g. `"created_at >= {}"`); none when `value` is none.
    pub(super) fn with<V: Into<Bound>>(&mut self, condition: &str, value: Option<V>) -> &mut Self {
        if let Some(value) = value {
            let placeholder = self.bind(value.into());
            self.conditions.push(condition.replace("{}", &placeholder));
        }
        self
    }

    /// A condition without values, e.g. `"revoked_at IS NULL"`.
    pub(super) fn when(&mut self, condition: &str) -> &mut Self {
        self.conditions.push(condition.to_owned());
        self
    }

    /// Nothing matches (a filter on something this server never has, like a discount).
    pub(super) fn nothing(&mut self) -> &mut Self {
        self.when("1 = 0")
    }

    /// Any of `columns` contains `text`, ignoring case; no condition when `text` is none or blank.
    pub(super) fn search(&mut self, columns: &[&str], text: Option<&str>) -> &mut Self {
        let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return self;
        };
        let pattern = self.bind(Bound::Text(like_pattern(text)));
        let alternatives: Vec<String> = columns
            .iter()
            .map(|column| format!("lower({column}) LIKE {pattern} ESCAPE '\\'"))
            .collect();
        self.conditions
            .push(format!("({})", alternatives.join(" OR ")));
        self
    }

    /// The JSON object in the text column `metadata` has `key` equal to one of its values, for every
    /// key given (Polar's `metadata[key]=value`: values of one key are alternatives, keys all
    /// apply). Values compare as text: `5` matches `"5"` and `5`, `true` matches `true`. Keys were
    /// checked by the caller (letters, digits, `_`, `-`, `.`).
    pub(super) fn metadata(
        &mut self,
        backend: Backend,
        filters: &[(String, Vec<String>)],
    ) -> &mut Self {
        for (key, values) in filters {
            let value_of = match backend {
                Backend::Postgres => {
                    let key = self.bind(Bound::Text(key.clone()));
                    format!("(metadata::jsonb ->> {key})")
                }
                Backend::Sqlite => {
                    let path = self.bind(Bound::Text(format!("$.\"{key}\"")));
                    format!(
                        "(CASE json_type(metadata, {path}) WHEN 'true' THEN 'true' WHEN 'false' \
                         THEN 'false' ELSE CAST(json_extract(metadata, {path}) AS TEXT) END)"
                    )
                }
            };
            self.any_of(&value_of, values.iter().cloned());
        }
        self
    }

    /// Orders by `order` (the store's own column list, e.g. `"name ASC, id ASC"`).
    pub(super) fn order_by(&mut self, order: String) -> &mut Self {
        self.order = order;
        self
    }

    /// `SELECT columns FROM table WHERE ... ORDER BY ... LIMIT ... OFFSET ...` and the binds of its
    /// placeholders.
    pub(super) fn page(
        &self,
        columns: &str,
        table: &str,
        page: PageRequest,
    ) -> (String, Vec<Bound>) {
        let mut binds = self.binds.clone();
        binds.push(Bound::Int(i64::from(page.limit())));
        let limit = binds.len();
        binds.push(Bound::Int(i64::try_from(page.offset()).unwrap_or(i64::MAX)));
        let offset = binds.len();
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE {} ORDER BY {} LIMIT ${limit} OFFSET ${offset}",
            self.conditions.join(" AND "),
            self.order
        );
        (sql, binds)
    }

    /// `SELECT COUNT(*) FROM table WHERE ...` and its binds.
    pub(super) fn count(&self, table: &str) -> (String, Vec<Bound>) {
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE {}",
            self.conditions.join(" AND ")
        );
        (sql, self.binds.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_filter_adds_a_condition_with_its_own_placeholders() {
        let org = OrganizationId::from_uuid(Uuid::nil());
        let mut list = ListSql::of_organization(org);
        list.any_of("status", ["paid", "pending"])
            .with("created_at >= {}", Some(Utc::now()))
            .with::<bool>("cancel_at_period_end = {}", None)
            .when("revoked_at IS NULL");
        let (sql, binds) = list.page("id", "orders", PageRequest::default());
        assert_eq!(
            sql,
            "SELECT id FROM orders WHERE organization_id = $1 AND status IN ($2, $3) AND \
             created_at >= $4 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
        );
        assert_eq!(binds.len(), 6);
        let (count, count_binds) = list.count("orders");
        assert!(count.ends_with("AND revoked_at IS NULL"));
        assert_eq!(count_binds.len(), 4);
    }

    #[test]
    fn an_empty_list_of_values_adds_no_condition() {
        let mut list = ListSql::of_organization(OrganizationId::from_uuid(Uuid::nil()));
        list.any_of::<&str>("status", []);
        assert_eq!(
            list.count("orders").0,
            "SELECT COUNT(*) FROM orders WHERE organization_id = $1"
        );
    }

    #[test]
    fn a_search_escapes_like_wildcards_and_ignores_case() {
        let mut list = ListSql::of_organization(OrganizationId::from_uuid(Uuid::nil()));
        list.search(&["name", "email"], Some(" 50%_Off "));
        let (sql, binds) = list.count("customers");
        assert!(
            sql.contains("(lower(name) LIKE $2 ESCAPE '\\' OR lower(email) LIKE $2 ESCAPE '\\')"),
            "{sql}"
        );
        assert_eq!(binds[1], Bound::Text("%50\\%\\_off%".into()));
    }

    #[test]
    fn metadata_keys_are_bound_never_written_into_the_sql() {
        let mut list = ListSql::of_organization(OrganizationId::from_uuid(Uuid::nil()));
        let filters = vec![("plan".to_owned(), vec!["pro".to_owned(), "team".to_owned()])];
        list.metadata(Backend::Postgres, &filters);
        let (sql, binds) = list.count("products");
        assert!(
            sql.contains("(metadata::jsonb ->> $2) IN ($3, $4)"),
            "{sql}"
        );
        assert_eq!(binds.len(), 4);
        let mut list = ListSql::of_organization(OrganizationId::from_uuid(Uuid::nil()));
        list.metadata(Backend::Sqlite, &filters);
        assert_eq!(
            list.count("products").1[1],
            Bound::Text("$.\"plan\"".into())
        );
    }
}
