//! Free text from requests (names, external ids, descriptions, URLs): trimmed, empty means absent,
//! and bounded, so no request can store an unbounded string. One place for the limits, used by every
//! service that takes free text.

use crate::model::ValidationIssue;

use super::ServiceError;

/// Names, external ids, labels.
pub const MAX_TEXT_LEN: usize = 256;
/// Descriptions, notes, URLs.
pub const MAX_LONG_TEXT_LEN: usize = 4096;

/// Trims optional free text of at most `max` characters; empty becomes absent; too long is an issue
/// at `field`.
pub(super) fn clean(
    field: &str,
    value: Option<String>,
    max: usize,
    issues: &mut Vec<ValidationIssue>,
) -> Option<String> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        issues.push(too_long(field, max));
    }
    value
}

/// [`clean`] with [`MAX_TEXT_LEN`].
pub(super) fn clean_text(
    field: &str,
    value: Option<String>,
    issues: &mut Vec<ValidationIssue>,
) -> Option<String> {
    clean(field, value, MAX_TEXT_LEN, issues)
}

/// One optional short text, or the 422 that says it is too long.
pub(super) fn optional_text(
    field: &str,
    value: Option<String>,
) -> Result<Option<String>, ServiceError> {
    let mut issues = Vec::new();
    let value = clean_text(field, value, &mut issues);
    validated(issues)?;
    Ok(value)
}

/// Checks that required text is not longer than `max` (it is kept as given).
pub(super) fn check_len(field: &str, value: &str, max: usize, issues: &mut Vec<ValidationIssue>) {
    if value.chars().count() > max {
        issues.push(too_long(field, max));
    }
}

/// Ok when no issue was found, else the 422 listing them all.
pub(super) fn validated(issues: Vec<ValidationIssue>) -> Result<(), ServiceError> {
    if issues.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(issues))
    }
}

fn too_long(field: &str, max: usize) -> ValidationIssue {
    ValidationIssue::in_body(
        [field],
        format!("{field} must be at most {max} characters"),
        "string_too_long",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_blank_text_is_absent() {
        let mut issues = Vec::new();
        assert_eq!(
            clean_text("name", Some("  Ada ".into()), &mut issues),
            Some("Ada".into())
        );
        assert_eq!(clean_text("name", Some("   ".into()), &mut issues), None);
        assert!(issues.is_empty());
    }

    #[test]
    fn text_over_its_limit_is_a_string_too_long_issue_at_its_field() {
        let err = optional_text("customer_name", Some("x".repeat(MAX_TEXT_LEN + 1))).unwrap_err();
        let ServiceError::Validation(issues) = err else {
            panic!("expected a validation error");
        };
        assert_eq!(issues[0].kind, "string_too_long");
        assert_eq!(issues[0].loc.len(), 2);
        assert!(optional_text("customer_name", Some("x".repeat(MAX_TEXT_LEN))).is_ok());
    }
}
