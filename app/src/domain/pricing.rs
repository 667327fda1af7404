//! Seat tiers: validation, purchasable limits and the amount for N seats.
//!
//! - Tiers are sorted by `min_seats`, contiguous (`next.min_seats == prev.max_seats + 1`), only the
//!   last may be unbounded, prices are ≥ 0, and there is at least one tier.
//! - **Volume**: every seat is billed at the rate of the tier the total falls in.
//!   **Graduated**: each tier's range is billed at its own rate.
//! - The purchasable range is `[first.min_seats, last.max_seats or SYSTEM_MAX_SEATS]`; the system
//!   limit of 1,000 seats per pool is [`SYSTEM_MAX_SEATS`], enforced through [`SeatTiers::limits`].

use serde::{Deserialize, Serialize};

use crate::model::money::MinorUnits;

/// The most seats one pool (subscription or order) can ever have.
pub const SYSTEM_MAX_SEATS: u32 = 1_000;

/// How tiers turn a seat count into an amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SeatTierType {
    /// All seats at the rate of the tier the total falls in.
    #[default]
    Volume,
    /// Each tier's range at its own rate.
    Graduated,
}

/// One tier: seats `min_seats..=max_seats` (unbounded when `None`) at `price_per_seat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeatTier {
    pub min_seats: u32,
    #[serde(default)]
    pub max_seats: Option<u32>,
    pub price_per_seat: MinorUnits,
}

/// A validated, non-empty, contiguous list of tiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatTiers {
    tier_type: SeatTierType,
    tiers: Vec<SeatTier>,
}

/// The seat counts that can be bought: `minimum..=maximum`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatLimits {
    pub minimum: u32,
    pub maximum: u32,
}

impl SeatLimits {
    pub fn contains(&self, seats: u32) -> bool {
        (self.minimum..=self.maximum).contains(&seats)
    }
}

/// Why a list of tiers is refused. Each message names the tier (counted from 1) and the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TierError {
    #[error("at least one seat tier is required")]
    Empty,
    #[error("tier {tier}: min_seats must be at least 1")]
    ZeroMinimum { tier: usize },
    #[error("tier {tier}: max_seats ({max}) is below min_seats ({min})")]
    Inverted { tier: usize, min: u32, max: u32 },
    #[error("tier {tier}: price_per_seat must be 0 or more (got {price})")]
    NegativePrice { tier: usize, price: i64 },
    #[error("tier {tier} is unbounded (max_seats null) but is not the last tier")]
    UnboundedNotLast { tier: usize },
    #[error("gap between tier {tier} and tier {next}: seats {from} to {to} are not covered")]
    Gap {
        tier: usize,
        next: usize,
        from: u32,
        to: u32,
    },
    #[error("tier {tier} and tier {next} overlap: seat {seat} is in both")]
    Overlap { tier: usize, next: usize, seat: u32 },
    #[error(
        "tier {tier}: min_seats ({min}) is above the limit of {SYSTEM_MAX_SEATS} seats per pool"
    )]
    AboveSystemLimit { tier: usize, min: u32 },
}

/// Why an amount cannot be computed for a seat count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("at least {minimum} seats are required (got {seats})")]
    BelowMinimum { seats: u32, minimum: u32 },
    #[error("at most {maximum} seats can be bought (got {seats})")]
    AboveMaximum { seats: u32, maximum: u32 },
    #[error("the amount is too large to compute")]
    Overflow,
}

impl SeatTiers {
    /// Validates `tiers` as given (they must already be sorted: a misordered list is a mistake worth
    /// reporting, not silently fixing).
    pub fn new(tier_type: SeatTierType, tiers: Vec<SeatTier>) -> Result<Self, TierError> {
        if tiers.is_empty() {
            return Err(TierError::Empty);
        }
        for (i, tier) in tiers.iter().enumerate() {
            let n = i + 1;
            if tier.min_seats == 0 {
                return Err(TierError::ZeroMinimum { tier: n });
            }
            if tier.min_seats > SYSTEM_MAX_SEATS {
                return Err(TierError::AboveSystemLimit {
                    tier: n,
                    min: tier.min_seats,
                });
            }
            if let Some(max) = tier.max_seats
                && max < tier.min_seats
            {
                return Err(TierError::Inverted {
                    tier: n,
                    min: tier.min_seats,
                    max,
                });
            }
            if tier.price_per_seat.get() < 0 {
                return Err(TierError::NegativePrice {
                    tier: n,
                    price: tier.price_per_seat.get(),
                });
            }
        }
        for (i, pair) in tiers.windows(2).enumerate() {
            let (tier, next) = (i + 1, i + 2);
            let Some(max) = pair[0].max_seats else {
                return Err(TierError::UnboundedNotLast { tier });
            };
            let expected = max.saturating_add(1);
            let start = pair[1].min_seats;
            if start > expected {
                return Err(TierError::Gap {
                    tier,
                    next,
                    from: expected,
                    to: start - 1,
                });
            }
            if start < expected {
                return Err(TierError::Overlap {
                    tier,
                    next,
                    seat: start.max(pair[0].min_seats),
                });
            }
        }
        Ok(Self { tier_type, tiers })
    }

    pub fn tier_type(&self) -> SeatTierType {
        self.tier_type
    }

    pub fn tiers(&self) -> &[SeatTier] {
        &self.tiers
    }

    /// First tier's `min_seats`.
    pub fn minimum_seats(&self) -> u32 {
        self.tiers.first().map_or(1, |t| t.min_seats)
    }

    /// Last tier's `max_seats`, `None` when unbounded (the wire's "unlimited").
    pub fn declared_maximum_seats(&self) -> Option<u32> {
        self.tiers.last().and_then(|t| t.max_seats)
    }

    /// The seat counts that can be bought, with the system limit applied.
    pub fn limits(&self) -> SeatLimits {
        let maximum = self
            .declared_maximum_seats()
            .map_or(SYSTEM_MAX_SEATS, |m| m.min(SYSTEM_MAX_SEATS));
        SeatLimits {
            minimum: self.minimum_seats(),
            maximum,
        }
    }

    /// Checks that `seats` can be bought.
    pub fn check(&self, seats: u32) -> Result<(), PricingError> {
        let limits = self.limits();
        if seats < limits.minimum {
            return Err(PricingError::BelowMinimum {
                seats,
                minimum: limits.minimum,
            });
        }
        if seats > limits.maximum {
            return Err(PricingError::AboveMaximum {
                seats,
                maximum: limits.maximum,
            });
        }
        Ok(())
    }

    /// Index of the tier `seats` falls in (for highlighting the active tier).
    pub fn tier_index_for(&self, seats: u32) -> Option<usize> {
        self.tiers
            .iter()
            .position(|t| seats >= t.min_seats && t.max_seats.is_none_or(|max| seats <= max))
    }

    /// The seat charge for `seats`, in minor units.
    pub fn amount_for(&self, seats: u32) -> Result<MinorUnits, PricingError> {
        self.check(seats)?;
        match self.tier_type {
            SeatTierType::Volume => {
                let tier = self
                    .tier_index_for(seats)
                    .map(|i| self.tiers[i])
                    .ok_or(PricingError::Overflow)?;
                tier.price_per_seat
                    .checked_mul(seats)
                    .ok_or(PricingError::Overflow)
            }
            SeatTierType::Graduated => {
                let mut total = MinorUnits::ZERO;
                for (i, tier) in self.tiers.iter().enumerate() {
                    if seats < tier.min_seats {
                        break;
                    }
                    // The first tier bills every seat up to its maximum: with tiers starting at 3,
                    // 3 seats are 3 seats at the first rate, not 1.
                    let lower = if i == 0 { 1 } else { tier.min_seats };
                    let upper = tier.max_seats.map_or(seats, |max| max.min(seats));
                    let count = upper - lower + 1;
                    let charge = tier
                        .price_per_seat
                        .checked_mul(count)
                        .ok_or(PricingError::Overflow)?;
                    total = total.checked_add(charge).ok_or(PricingError::Overflow)?;
                }
                Ok(total)
            }
        }
    }
}

/// What a product charges for N seats: the seat charge by tiers plus the optional fixed price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductPricing {
    pub tiers: SeatTiers,
    pub fixed: Option<MinorUnits>,
}

impl ProductPricing {
    /// `fixed + seat charge` for `seats`, checked.
    pub fn amount_for(&self, seats: u32) -> Result<MinorUnits, PricingError> {
        let seat_charge = self.tiers.amount_for(seats)?;
        seat_charge
            .checked_add(self.fixed.unwrap_or(MinorUnits::ZERO))
            .ok_or(PricingError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn tier(min: u32, max: Option<u32>, price: i64) -> SeatTier {
        SeatTier {
            min_seats: min,
            max_seats: max,
            price_per_seat: MinorUnits(price),
        }
    }

    fn two_tiers(kind: SeatTierType) -> SeatTiers {
        SeatTiers::new(kind, vec![tier(1, Some(10), 1000), tier(11, None, 800)]).unwrap()
    }

    #[test]
    fn fourteen_seats_cost_112_dollars_by_volume_and_132_graduated() {
        assert_eq!(
            two_tiers(SeatTierType::Volume).amount_for(14),
            Ok(MinorUnits(11_200))
        );
        assert_eq!(
            two_tiers(SeatTierType::Graduated).amount_for(14),
            Ok(MinorUnits(13_200))
        );
    }

    #[test]
    fn the_seed_example_prices_each_tier_boundary() {
        let tiers = vec![
            tier(1, Some(4), 1000),
            tier(5, Some(9), 900),
            tier(10, None, 800),
        ];
        let volume = SeatTiers::new(SeatTierType::Volume, tiers.clone()).unwrap();
        assert_eq!(volume.amount_for(4), Ok(MinorUnits(4_000)));
        assert_eq!(volume.amount_for(5), Ok(MinorUnits(4_500)));
        assert_eq!(volume.amount_for(10), Ok(MinorUnits(8_000)));
        let graduated = SeatTiers::new(SeatTierType::Graduated, tiers).unwrap();
        assert_eq!(
            graduated.amount_for(10),
            Ok(MinorUnits(4 * 1000 + 5 * 900 + 800))
        );
    }

    #[test]
    fn a_gap_between_tiers_is_named_with_the_missing_seats() {
        let err = SeatTiers::new(
            SeatTierType::Volume,
            vec![tier(1, Some(4), 1000), tier(7, None, 900)],
        );
        assert_eq!(
            err,
            Err(TierError::Gap {
                tier: 1,
                next: 2,
                from: 5,
                to: 6
            })
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "gap between tier 1 and tier 2: seats 5 to 6 are not covered"
        );
    }

    #[test]
    fn overlapping_tiers_are_named_with_a_shared_seat() {
        let err = SeatTiers::new(
            SeatTierType::Volume,
            vec![tier(1, Some(5), 1000), tier(5, None, 900)],
        );
        assert_eq!(
            err,
            Err(TierError::Overlap {
                tier: 1,
                next: 2,
                seat: 5
            })
        );
    }

    #[test]
    fn only_the_last_tier_may_be_unbounded() {
        let err = SeatTiers::new(
            SeatTierType::Volume,
            vec![tier(1, None, 1000), tier(5, None, 900)],
        );
        assert_eq!(err, Err(TierError::UnboundedNotLast { tier: 1 }));
    }

    #[test]
    fn an_empty_list_a_zero_minimum_an_inverted_range_and_a_negative_price_are_refused() {
        assert_eq!(
            SeatTiers::new(SeatTierType::Volume, vec![]),
            Err(TierError::Empty)
        );
        assert_eq!(
            SeatTiers::new(SeatTierType::Volume, vec![tier(0, None, 1)]),
            Err(TierError::ZeroMinimum { tier: 1 })
        );
        assert_eq!(
            SeatTiers::new(SeatTierType::Volume, vec![tier(5, Some(3), 1)]),
            Err(TierError::Inverted {
                tier: 1,
                min: 5,
                max: 3
            })
        );
        assert_eq!(
            SeatTiers::new(SeatTierType::Volume, vec![tier(1, None, -1)]),
            Err(TierError::NegativePrice { tier: 1, price: -1 })
        );
    }

    #[test]
    fn limits_come_from_the_tiers_capped_by_the_system_limit() {
        let bounded = SeatTiers::new(SeatTierType::Volume, vec![tier(3, Some(20), 100)]).unwrap();
        assert_eq!(
            bounded.limits(),
            SeatLimits {
                minimum: 3,
                maximum: 20
            }
        );
        let unbounded = two_tiers(SeatTierType::Volume);
        assert_eq!(
            unbounded.limits(),
            SeatLimits {
                minimum: 1,
                maximum: SYSTEM_MAX_SEATS
            }
        );
        let huge = SeatTiers::new(SeatTierType::Volume, vec![tier(1, Some(5000), 100)]).unwrap();
        assert_eq!(huge.limits().maximum, SYSTEM_MAX_SEATS);
    }

    #[test]
    fn seat_counts_outside_the_limits_have_no_price() {
        let tiers = SeatTiers::new(SeatTierType::Volume, vec![tier(3, Some(20), 100)]).unwrap();
        assert_eq!(
            tiers.amount_for(2),
            Err(PricingError::BelowMinimum {
                seats: 2,
                minimum: 3
            })
        );
        assert_eq!(
            tiers.amount_for(21),
            Err(PricingError::AboveMaximum {
                seats: 21,
                maximum: 20
            })
        );
        assert_eq!(
            two_tiers(SeatTierType::Volume).amount_for(1001),
            Err(PricingError::AboveMaximum {
                seats: 1001,
                maximum: 1000
            })
        );
    }

    #[test]
    fn an_overflowing_price_is_an_error_not_a_wrapped_amount() {
        let tiers =
            SeatTiers::new(SeatTierType::Volume, vec![tier(1, None, i64::MAX / 2)]).unwrap();
        assert_eq!(tiers.amount_for(3), Err(PricingError::Overflow));
    }

    #[test]
    fn graduated_pricing_bills_every_seat_of_a_first_tier_starting_above_one() {
        let tiers = SeatTiers::new(
            SeatTierType::Graduated,
            vec![tier(3, Some(5), 1000), tier(6, None, 500)],
        )
        .unwrap();
        assert_eq!(tiers.amount_for(3), Ok(MinorUnits(3_000)));
        assert_eq!(tiers.amount_for(7), Ok(MinorUnits(5 * 1000 + 2 * 500)));
    }

    #[test]
    fn a_fixed_price_is_added_to_the_seat_charge() {
        let pricing = ProductPricing {
            tiers: two_tiers(SeatTierType::Volume),
            fixed: Some(MinorUnits(2_500)),
        };
        assert_eq!(pricing.amount_for(14), Ok(MinorUnits(11_200 + 2_500)));
        assert_eq!(
            pricing.amount_for(0),
            Err(PricingError::BelowMinimum {
                seats: 0,
                minimum: 1
            })
        );
    }

    #[test]
    fn the_active_tier_is_the_one_containing_the_count() {
        let tiers = two_tiers(SeatTierType::Volume);
        assert_eq!(tiers.tier_index_for(10), Some(0));
        assert_eq!(tiers.tier_index_for(11), Some(1));
        assert_eq!(tiers.tier_index_for(0), None);
    }

    /// Contiguous tiers with decreasing prices, built from widths and price steps.
    fn decreasing_tiers() -> impl Strategy<Value = Vec<SeatTier>> {
        (
            1u32..5,
            prop::collection::vec((1u32..50, 0i64..500), 1..5),
            1000i64..5000,
        )
            .prop_map(|(first_min, steps, top_price)| {
                let mut tiers = Vec::new();
                let mut min = first_min;
                let mut price = top_price;
                let last = steps.len() - 1;
                for (i, (width, drop)) in steps.into_iter().enumerate() {
                    let max = (i < last).then(|| min + width - 1);
                    tiers.push(tier(min, max, price));
                    if let Some(max) = max {
                        min = max + 1;
                    }
                    price = (price - drop).max(0);
                }
                tiers
            })
    }

    proptest! {
        #[test]
        fn graduated_is_never_cheaper_than_volume_when_prices_decrease(tiers in decreasing_tiers(), extra in 0u32..300) {
            let volume = SeatTiers::new(SeatTierType::Volume, tiers.clone()).unwrap();
            let graduated = SeatTiers::new(SeatTierType::Graduated, tiers).unwrap();
            let seats = (volume.limits().minimum + extra).min(volume.limits().maximum);
            prop_assert!(graduated.amount_for(seats).unwrap() >= volume.amount_for(seats).unwrap());
        }

        #[test]
        fn graduated_amounts_grow_with_the_seat_count(tiers in decreasing_tiers(), extra in 0u32..300) {
            let graduated = SeatTiers::new(SeatTierType::Graduated, tiers).unwrap();
            let limits = graduated.limits();
            let seats = (limits.minimum + extra).min(limits.maximum - 1);
            prop_assert!(graduated.amount_for(seats + 1).unwrap() >= graduated.amount_for(seats).unwrap());
        }

        #[test]
        fn every_purchasable_count_falls_in_exactly_one_tier(tiers in decreasing_tiers(), extra in 0u32..300) {
            let validated = SeatTiers::new(SeatTierType::Volume, tiers.clone()).unwrap();
            let seats = (validated.limits().minimum + extra).min(validated.limits().maximum);
            let containing = tiers.iter().filter(|t| seats >= t.min_seats && t.max_seats.is_none_or(|m| seats <= m)).count();
            prop_assert_eq!(containing, 1);
        }

        #[test]
        fn a_single_flat_tier_costs_price_times_seats_either_way(price in 0i64..100_000, seats in 1u32..=1000) {
            for kind in [SeatTierType::Volume, SeatTierType::Graduated] {
                let tiers = SeatTiers::new(kind, vec![tier(1, None, price)]).unwrap();
                prop_assert_eq!(tiers.amount_for(seats), Ok(MinorUnits(price * i64::from(seats))));
            }
        }
    }
}
