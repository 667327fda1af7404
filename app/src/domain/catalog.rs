//! Rules of the catalog: what prices a product may have. Seatkeeper sells seats, so a product has
//! exactly one seat-based price and at most one fixed price billed on top, all in one currency.

use crate::{
    domain::pricing::SeatTiers,
    model::{
        Currency, LocSegment, MinorUnits, ValidationIssue,
        product::{PriceCreate, RecurringInterval},
    },
};

/// The prices of a product, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPrices {
    pub currency: Currency,
    pub seat_tiers: SeatTiers,
    pub fixed: Option<MinorUnits>,
}

fn issue(loc: &[LocSegment], msg: impl Into<String>, kind: &str) -> ValidationIssue {
    ValidationIssue {
        loc: loc.to_vec(),
        msg: msg.into(),
        kind: kind.to_owned(),
    }
}

fn at(index: usize, rest: &[&str]) -> Vec<LocSegment> {
    let mut loc = vec![
        LocSegment::from("body"),
        LocSegment::from("prices"),
        LocSegment::Index(index as u64),
    ];
    loc.extend(rest.iter().map(|s| LocSegment::from(*s)));
    loc
}

/// Checks a product's prices; every problem found is reported, each at its location.
pub fn validate_prices(prices: &[PriceCreate]) -> Result<ValidPrices, Vec<ValidationIssue>> {
    let prices_loc = [LocSegment::from("body"), LocSegment::from("prices")];
    let mut issues = Vec::new();
    let mut currency: Option<Currency> = None;
    let mut seat_tiers = None;
    let mut fixed = None;
    let (mut seat_count, mut fixed_count) = (0, 0);

    for (i, price) in prices.iter().enumerate() {
        let price_currency = match price {
            PriceCreate::Fixed { price_currency, .. }
            | PriceCreate::SeatBased { price_currency, .. } => {
                price_currency.clone().unwrap_or_else(Currency::usd)
            }
        };
        match &currency {
            None => currency = Some(price_currency),
            Some(first) if *first != price_currency => issues.push(issue(
                &at(i, &["price_currency"]),
                format!("all prices of a product must use one currency: {first} and {price_currency} differ"),
                "value_error",
            )),
            Some(_) => {}
        }
        match price {
            PriceCreate::SeatBased {
                seat_tiers: input, ..
            } => {
                seat_count += 1;
                match SeatTiers::new(input.seat_tier_type, input.tiers.clone()) {
                    Ok(tiers) => seat_tiers = Some(tiers),
                    Err(err) => issues.push(issue(
                        &at(i, &["seat_tiers", "tiers"]),
                        err.to_string(),
                        "value_error",
                    )),
                }
            }
            PriceCreate::Fixed { price_amount, .. } => {
                fixed_count += 1;
                if price_amount.get() < 0 {
                    issues.push(issue(
                        &at(i, &["price_amount"]),
                        "price_amount must be 0 or more",
                        "greater_than_equal",
                    ));
                }
                fixed = Some(*price_amount);
            }
        }
    }
    if seat_count != 1 {
        issues.push(issue(
            &prices_loc,
            format!("a product needs exactly one seat-based price (got {seat_count})"),
            "value_error",
        ));
    }
    if fixed_count > 1 {
        issues.push(issue(
            &prices_loc,
            format!("a product may have at most one fixed price (got {fixed_count})"),
            "value_error",
        ));
    }
    match (issues.is_empty(), currency, seat_tiers) {
        (true, Some(currency), Some(seat_tiers)) => Ok(ValidPrices {
            currency,
            seat_tiers,
            fixed,
        }),
        _ => Err(issues),
    }
}

/// Checks the billing interval: Seatkeeper renews every one month or one year.
pub fn validate_interval(
    interval: Option<RecurringInterval>,
    count: Option<u32>,
) -> Result<(), ValidationIssue> {
    match (interval, count) {
        (_, None) | (Some(_), Some(1)) => Ok(()),
        (None, Some(_)) => Err(issue(
            &[
                LocSegment::from("body"),
                LocSegment::from("recurring_interval_count"),
            ],
            "recurring_interval_count needs a recurring_interval",
            "value_error",
        )),
        (Some(_), Some(n)) => Err(issue(
            &[
                LocSegment::from("body"),
                LocSegment::from("recurring_interval_count"),
            ],
            format!("only a count of 1 is supported (every month or every year), got {n}"),
            "value_error",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::pricing::{SeatTier, SeatTierType},
        model::product::SeatTiersInput,
    };

    fn seat_price(currency: &str, tiers: Vec<SeatTier>) -> PriceCreate {
        PriceCreate::SeatBased {
            price_currency: Some(Currency::parse(currency).unwrap()),
            seat_tiers: SeatTiersInput {
                seat_tier_type: SeatTierType::Volume,
                tiers,
            },
        }
    }

    fn tier(min: u32, max: Option<u32>, price: i64) -> SeatTier {
        SeatTier {
            min_seats: min,
            max_seats: max,
            price_per_seat: MinorUnits(price),
        }
    }

    #[test]
    fn one_seat_price_with_one_fixed_price_is_valid() {
        let prices = vec![
            seat_price("usd", vec![tier(1, None, 1000)]),
            PriceCreate::Fixed {
                price_currency: None,
                price_amount: MinorUnits(500),
            },
        ];
        let valid = validate_prices(&prices).unwrap();
        assert_eq!(valid.fixed, Some(MinorUnits(500)));
        assert_eq!(valid.currency, Currency::usd());
    }

    #[test]
    fn a_product_without_a_seat_price_is_refused() {
        let issues = validate_prices(&[PriceCreate::Fixed {
            price_currency: None,
            price_amount: MinorUnits(5),
        }])
        .unwrap_err();
        assert!(issues[0].msg.contains("exactly one seat-based price"));
    }

    #[test]
    fn mixed_currencies_are_refused_at_the_second_price() {
        let prices = vec![
            seat_price("usd", vec![tier(1, None, 1000)]),
            PriceCreate::Fixed {
                price_currency: Some(Currency::parse("eur").unwrap()),
                price_amount: MinorUnits(5),
            },
        ];
        let issues = validate_prices(&prices).unwrap_err();
        assert_eq!(issues[0].loc, at(1, &["price_currency"]));
    }

    #[test]
    fn a_tier_gap_is_reported_at_the_tiers_of_that_price() {
        let issues = validate_prices(&[seat_price(
            "usd",
            vec![tier(1, Some(4), 1000), tier(6, None, 900)],
        )])
        .unwrap_err();
        assert_eq!(issues[0].loc, at(0, &["seat_tiers", "tiers"]));
        assert!(issues[0].msg.contains("gap between tier 1 and tier 2"));
    }

    #[test]
    fn only_a_single_interval_count_is_accepted() {
        assert!(validate_interval(Some(RecurringInterval::Month), Some(1)).is_ok());
        assert!(validate_interval(Some(RecurringInterval::Month), Some(3)).is_err());
        assert!(validate_interval(None, Some(1)).is_err());
        assert!(validate_interval(None, None).is_ok());
    }
}
