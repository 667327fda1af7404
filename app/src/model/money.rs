//! Money: integer minor units (cents) and a currency. No floating point anywhere in an amount;
//! arithmetic is checked, so an overflow is an error, never a wrong price.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in minor units (e.g. cents). May be negative (credits, prorations).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = i64))]
pub struct MinorUnits(pub i64);

impl MinorUnits {
    pub const ZERO: Self = Self(0);

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// `self × count`, e.g. a per-seat price times a number of seats.
    pub fn checked_mul(self, count: u32) -> Option<Self> {
        self.0.checked_mul(i64::from(count)).map(Self)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    /// `12345` → `"123.45"`, for display with a two-decimal currency.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl From<i64> for MinorUnits {
    fn from(amount: i64) -> Self {
        Self(amount)
    }
}

impl fmt::Display for MinorUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An ISO 4217 currency code, lower-case as on Polar's wire (`usd`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(value_type = String, example = "usd"))]
pub struct Currency(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("currency must be a three-letter ISO 4217 code such as \"usd\" (got {0:?})")]
pub struct CurrencyError(pub String);

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, CurrencyError> {
        let code = raw.trim().to_ascii_lowercase();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_lowercase()) {
            Ok(Self(code))
        } else {
            Err(CurrencyError(raw.to_owned()))
        }
    }

    pub fn usd() -> Self {
        Self("usd".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Formats an amount for people: `$1,234.50` for USD, `123.45 EUR` otherwise.
    pub fn format(&self, amount: MinorUnits) -> String {
        let text = amount.to_decimal_string();
        match self.0.as_str() {
            "usd" => match text.strip_prefix('-') {
                Some(positive) => format!("-${}", group_thousands(positive)),
                None => format!("${}", group_thousands(&text)),
            },
            other => format!("{text} {}", other.to_ascii_uppercase()),
        }
    }
}

fn group_thousands(decimal: &str) -> String {
    let (int, frac) = decimal.split_once('.').unwrap_or((decimal, "00"));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{frac}")
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_lower_cased_and_must_have_three_letters() {
        assert_eq!(
            Currency::parse("USD").map(|c| c.to_string()),
            Ok("usd".into())
        );
        assert!(Currency::parse("usdx").is_err());
        assert!(Currency::parse("u1d").is_err());
    }

    #[test]
    fn amounts_format_with_two_decimals_and_thousands() {
        assert_eq!(
            Currency::usd().format(MinorUnits(12_345_678)),
            "$123,456.78"
        );
        assert_eq!(Currency::usd().format(MinorUnits(5)), "$0.05");
        assert_eq!(Currency::usd().format(MinorUnits(-1050)), "-$10.50");
        assert_eq!(
            Currency::parse("eur").unwrap().format(MinorUnits(1000)),
            "10.00 EUR"
        );
    }

    #[test]
    fn multiplication_overflow_is_reported_not_wrapped() {
        assert_eq!(MinorUnits(i64::MAX).checked_mul(2), None);
        assert_eq!(MinorUnits(1000).checked_mul(14), Some(MinorUnits(14_000)));
    }
}
