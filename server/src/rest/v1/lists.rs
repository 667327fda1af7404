//! What every list endpoint shares: `page` and `limit`, `sorting` checked against the list's sort
//! keys, `metadata[key]=value` filters, and timestamps as the SDKs send them. Each list's own query
//! type denies unknown fields, so a filter this server does not know is a 422 naming it.

use app::{
    model::{LocSegment, PageRequest, ValidationIssue},
    server::{
        service::ServiceError,
        store::filters::{MetadataFilter, SortKey, Sorting, sort_columns, sort_names},
    },
};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

fn query_issue(field: &str, msg: String, kind: &str) -> ServiceError {
    ServiceError::Validation(vec![ValidationIssue {
        loc: vec![LocSegment::from("query"), LocSegment::from(field)],
        msg,
        kind: kind.to_owned(),
    }])
}

/// The query of a list that only pages (nothing to filter or sort).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageParams {
    /// Page number, from 1.
    page: Option<u32>,
    /// Items per page, 1 to 100 (default 10).
    limit: Option<u32>,
}

impl PageParams {
    pub(crate) fn request(&self) -> Result<PageRequest, ServiceError> {
        page(self.page, self.limit)
    }
}

/// A validated page request.
pub(crate) fn page(page: Option<u32>, limit: Option<u32>) -> Result<PageRequest, ServiceError> {
    PageRequest::new(page, limit).map_err(ServiceError::Validation)
}

/// The columns `sorting` names, or a 422 naming the first name this list cannot sort by.
pub(crate) fn sorting(keys: &[SortKey], requested: &[String]) -> Result<Sorting, ServiceError> {
    sort_columns(keys, requested).map_err(|name| {
        query_issue(
            "sorting",
            format!(
                "this list cannot be sorted by `{name}`; it sorts by {} (a leading `-` for descending)",
                sort_names(keys)
            ),
            "enum",
        )
    })
}

/// `metadata[key]=value` pairs grouped by key (values of one key are alternatives). Keys are 1 to 40
/// letters, digits, `_`, `-` or `.`, as Polar allows.
pub(crate) fn metadata(pairs: Vec<(String, String)>) -> Result<MetadataFilter, ServiceError> {
    let mut filter: MetadataFilter = Vec::new();
    for (key, value) in pairs {
        let valid = (1..=40).contains(&key.chars().count())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(query_issue(
                "metadata",
                format!(
                    "metadata key {key:?} is not valid: 1 to 40 letters, digits, '_', '-' or '.'"
                ),
                "value_error",
            ));
        }
        match filter.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => filter.push((key, vec![value])),
        }
    }
    Ok(filter)
}

/// For a list that does not filter by metadata: a 422 when the client sent `metadata[...]`.
pub(crate) fn no_metadata(pairs: &[(String, String)]) -> Result<(), ServiceError> {
    match pairs.first() {
        None => Ok(()),
        Some((key, _)) => Err(query_issue(
            "metadata",
            format!("this list has no metadata filter (got metadata[{key}])"),
            "extra_forbidden",
        )),
    }
}

/// A timestamp in a query string: RFC 3339, or without a zone (taken as UTC), as the SDKs send
/// whatever string their caller gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct QueryTime(pub DateTime<Utc>);

impl TryFrom<String> for QueryTime {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        if let Ok(time) = DateTime::parse_from_rfc3339(&raw) {
            return Ok(Self(time.with_timezone(&Utc)));
        }
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
            .iter()
            .find_map(|format| NaiveDateTime::parse_from_str(&raw, format).ok())
            .or_else(|| {
                chrono::NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                    .ok()
                    .and_then(|date| date.and_hms_opt(0, 0, 0))
            })
            .map(|naive| Self(naive.and_utc()))
            .ok_or_else(|| {
                format!("{raw:?} is not a date-time (use RFC 3339, e.g. 2026-01-31T12:00:00Z)")
            })
    }
}

/// The time of an optional [`QueryTime`].
pub(crate) fn time(value: Option<QueryTime>) -> Option<DateTime<Utc>> {
    value.map(|QueryTime(time)| time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_times_take_rfc_3339_or_a_naive_utc_time_or_a_date() {
        let zoned = QueryTime::try_from("2026-01-31T12:00:00+01:00".to_owned()).unwrap();
        assert_eq!(zoned.0.to_rfc3339(), "2026-01-31T11:00:00+00:00");
        let naive = QueryTime::try_from("2026-01-31T12:00:00.5".to_owned()).unwrap();
        assert_eq!(naive.0.timestamp_millis() % 1000, 500);
        assert!(QueryTime::try_from("2026-01-31".to_owned()).is_ok());
        assert!(QueryTime::try_from("yesterday".to_owned()).is_err());
    }

    #[test]
    fn metadata_values_group_by_key_and_odd_keys_are_refused() {
        let filter = metadata(vec![
            ("plan".into(), "pro".into()),
            ("tier".into(), "1".into()),
            ("plan".into(), "team".into()),
        ])
        .unwrap();
        assert_eq!(
            filter,
            vec![
                ("plan".to_owned(), vec!["pro".to_owned(), "team".to_owned()]),
                ("tier".to_owned(), vec!["1".to_owned()])
            ]
        );
        assert!(metadata(vec![("a\"b".into(), "x".into())]).is_err());
        assert!(no_metadata(&[("plan".into(), "pro".into())]).is_err());
    }
}
