//! An organization's slug: the URL-safe name used in portal links (`/{slug}/portal`).
//! Validated once, at the edge: 3 to 64 characters, lower-case ASCII letters, digits and single
//! hyphens, starting and ending with a letter or digit.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = String, example = "acme"))]
pub struct Slug(String);

/// Why a slug was refused, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("slug must be between 3 and 64 characters long (got {0})")]
    Length(usize),
    #[error("slug may contain only lower-case letters a-z, digits 0-9 and hyphens (found {0:?})")]
    Character(char),
    #[error("slug must start and end with a letter or a digit")]
    Edge,
    #[error("slug may not contain two hyphens in a row")]
    DoubleHyphen,
}

impl Slug {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        let len = raw.chars().count();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(SlugError::Length(len));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(SlugError::Character(c));
        }
        if raw.starts_with('-') || raw.ends_with('-') {
            return Err(SlugError::Edge);
        }
        if raw.contains("--") {
            return Err(SlugError::DoubleHyphen);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = SlugError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_lower_case_slug_is_accepted() {
        assert_eq!(
            Slug::parse("acme-inc-2").map(|s| s.to_string()),
            Ok("acme-inc-2".to_owned())
        );
    }

    #[test]
    fn upper_case_letters_are_refused_with_the_offending_character() {
        assert_eq!(Slug::parse("Acme"), Err(SlugError::Character('A')));
    }

    #[test]
    fn too_short_and_too_long_slugs_are_refused() {
        assert_eq!(Slug::parse("ab"), Err(SlugError::Length(2)));
        assert_eq!(Slug::parse(&"a".repeat(65)), Err(SlugError::Length(65)));
    }

    #[test]
    fn hyphens_at_the_edges_or_doubled_are_refused() {
        assert_eq!(Slug::parse("-acme"), Err(SlugError::Edge));
        assert_eq!(Slug::parse("acme-"), Err(SlugError::Edge));
        assert_eq!(Slug::parse("ac--me"), Err(SlugError::DoubleHyphen));
    }

    #[test]
    fn a_slug_deserializes_only_when_valid() {
        assert!(serde_json::from_str::<Slug>("\"acme\"").is_ok());
        assert!(serde_json::from_str::<Slug>("\"a b\"").is_err());
    }
}
