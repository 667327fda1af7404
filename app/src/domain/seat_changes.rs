//! A subscription's seat-count change: whether it is allowed, when it takes effect and what it
//! costs. [`plan_seat_change`] decides for the real change and for its preview alike, so a preview
//! always shows what the change will charge or credit.
//!
//! - The new count must be purchasable (the price's tiers and the system limit) and never below the
//!   seats already given out (pending + claimed): those must be revoked first.
//! - A subscription that has ended, or that ends at its period's end, cannot change.
//! - The same count changes nothing, except that it drops a change scheduled for the renewal.
//! - `prorate`: the change applies now and the prorated difference is settled with the next renewal
//!   order. `invoice`: it applies now and a prorated debit is charged at once (a credit, which no
//!   card can be charged, waits for the renewal like `prorate`). `next_period`: it is scheduled for
//!   the renewal, with no proration.
//! - Proration: `(new_amount - old_amount) × seconds_left / period_seconds`, on the seat charges
//!   of the two counts, truncated toward zero, in integer arithmetic.

use chrono::{DateTime, Utc};

use super::pricing::{PricingError, SeatTiers};
use crate::model::{money::MinorUnits, organization::ProrationBehavior};

/// A billing period: from `start` (included) to `end` (excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillingPeriod {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl BillingPeriod {
    /// Whole seconds from `at` to the period's end, within `0..=` the period's length.
    fn seconds_left(&self, at: DateTime<Utc>) -> i64 {
        (self.end - at).num_seconds().clamp(0, self.seconds())
    }

    fn seconds(&self) -> i64 {
        (self.end - self.start).num_seconds().max(0)
    }
}

/// The prorated part of a change of the charge for a period from `old` to `new`, made at `at`:
/// positive is owed by the customer, negative is credited. Truncated toward zero; a period of no
/// length prorates to zero.
pub fn prorate(
    old: MinorUnits,
    new: MinorUnits,
    period: BillingPeriod,
    at: DateTime<Utc>,
) -> Result<MinorUnits, PricingError> {
    let seconds = i128::from(period.seconds());
    if seconds == 0 {
        return Ok(MinorUnits::ZERO);
    }
    let difference = i128::from(new.get()) - i128::from(old.get());
    let prorated = difference * i128::from(period.seconds_left(at)) / seconds;
    i64::try_from(prorated)
        .map(MinorUnits)
        .map_err(|_| PricingError::Overflow)
}

/// Where a subscription stands, as far as changing its seats goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Active (or trialing) and renewing.
    Renewing,
    /// Active until its period ends, then canceled.
    Cancelling,
    /// Canceled, revoked or otherwise no longer billed.
    Ended,
}

/// A subscription's seats as a change finds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurrentSeats {
    pub standing: Standing,
    pub seats: u32,
    /// What the current count costs for a whole period (the tiers' charge, without a fixed price).
    pub seat_charge: MinorUnits,
    /// Seats given out: pending invitations and claimed seats.
    pub assigned: u32,
    /// A count scheduled for the renewal, if any.
    pub scheduled: Option<u32>,
    pub period: BillingPeriod,
}

/// When a proration is settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// Added to the next renewal order (a debit or a credit).
    NextRenewal,
    /// Charged now, as an order of its own.
    ChargeNow,
}

/// What a change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatChange {
    /// The count asked for is the current one: nothing changes, but a scheduled change is dropped.
    Unchanged { drops_scheduled: bool },
    /// The count changes now. `seat_charge` is the new count's charge for a whole period;
    /// `proration` is signed (positive: owed).
    Now {
        seats: u32,
        seat_charge: MinorUnits,
        proration: MinorUnits,
        settlement: Settlement,
    },
    /// The count changes when the period ends, with no proration.
    AtRenewal {
        seats: u32,
        seat_charge: MinorUnits,
        applies_at: DateTime<Utc>,
    },
}

/// Why a change is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeatChangeError {
    #[error("this subscription has ended; its seats can no longer change")]
    Ended,
    #[error(
        "this subscription is set to cancel at the end of its period; its seats can no longer change"
    )]
    Cancelling,
    #[error("Minimum {minimum} seats required.")]
    BelowMinimum { minimum: u32 },
    #[error("Maximum {maximum} seats allowed.")]
    AboveMaximum { maximum: u32 },
    #[error(
        "Cannot decrease seats to {requested}. Currently {assigned} seats are assigned. Revoke seats first."
    )]
    AlreadyAssigned { requested: u32, assigned: u32 },
    #[error("the amount is too large to compute")]
    Overflow,
}

impl From<PricingError> for SeatChangeError {
    fn from(error: PricingError) -> Self {
        match error {
            PricingError::BelowMinimum { minimum, .. } => Self::BelowMinimum { minimum },
            PricingError::AboveMaximum { maximum, .. } => Self::AboveMaximum { maximum },
            PricingError::Overflow => Self::Overflow,
        }
    }
}

/// What changing `current` to `requested` seats at `now` with `behavior` does, priced by `tiers`.
pub fn plan_seat_change(
    tiers: &SeatTiers,
    current: CurrentSeats,
    requested: u32,
    behavior: ProrationBehavior,
    now: DateTime<Utc>,
) -> Result<SeatChange, SeatChangeError> {
    match current.standing {
        Standing::Renewing => {}
        Standing::Cancelling => return Err(SeatChangeError::Cancelling),
        Standing::Ended => return Err(SeatChangeError::Ended),
    }
    let seat_charge = tiers.amount_for(requested)?;
    if requested < current.assigned {
        return Err(SeatChangeError::AlreadyAssigned {
            requested,
            assigned: current.assigned,
        });
    }
    if requested == current.seats {
        return Ok(SeatChange::Unchanged {
            drops_scheduled: current.scheduled.is_some(),
        });
    }
    let settlement = match behavior {
        ProrationBehavior::NextPeriod => {
            return Ok(SeatChange::AtRenewal {
                seats: requested,
                seat_charge,
                applies_at: current.period.end,
            });
        }
        ProrationBehavior::Prorate => Settlement::NextRenewal,
        ProrationBehavior::Invoice => Settlement::ChargeNow,
    };
    let proration = prorate(current.seat_charge, seat_charge, current.period, now)?;
    let settlement = if proration.get() > 0 {
        settlement
    } else {
        Settlement::NextRenewal
    };
    Ok(SeatChange::Now {
        seats: requested,
        seat_charge,
        proration,
        settlement,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::pricing::{SeatTier, SeatTierType};

    fn at(month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, month, day, 0, 0, 0).unwrap()
    }

    /// The acceptance example's tiers: 1–5 @ $10, 6–10 @ $8, 11+ @ $5, volume.
    fn tiers() -> SeatTiers {
        let tier = |min_seats, max_seats, cents| SeatTier {
            min_seats,
            max_seats,
            price_per_seat: MinorUnits(cents),
        };
        SeatTiers::new(
            SeatTierType::Volume,
            vec![
                tier(1, Some(5), 1000),
                tier(6, Some(10), 800),
                tier(11, None, 500),
            ],
        )
        .unwrap()
    }

    fn renewing(seats: u32, assigned: u32, period: BillingPeriod) -> CurrentSeats {
        CurrentSeats {
            standing: Standing::Renewing,
            seats,
            seat_charge: tiers().amount_for(seats).unwrap(),
            assigned,
            scheduled: None,
            period,
        }
    }

    fn january() -> BillingPeriod {
        BillingPeriod {
            start: at(1, 1),
            end: at(2, 1),
        }
    }

    fn february() -> BillingPeriod {
        BillingPeriod {
            start: at(2, 1),
            end: at(3, 1),
        }
    }

    #[test]
    fn an_increase_halfway_through_january_owes_the_prorated_difference_rounded_down() {
        let change = plan_seat_change(
            &tiers(),
            renewing(3, 3, january()),
            8,
            ProrationBehavior::Prorate,
            at(1, 16),
        );
        assert_eq!(
            change,
            Ok(SeatChange::Now {
                seats: 8,
                seat_charge: MinorUnits(6400),
                proration: MinorUnits(1754),
                settlement: Settlement::NextRenewal,
            })
        );
    }

    #[test]
    fn a_decrease_in_february_credits_the_prorated_difference() {
        let change = plan_seat_change(
            &tiers(),
            renewing(8, 4, february()),
            4,
            ProrationBehavior::Prorate,
            at(2, 15),
        );
        assert_eq!(
            change,
            Ok(SeatChange::Now {
                seats: 4,
                seat_charge: MinorUnits(4000),
                proration: MinorUnits(-1200),
                settlement: Settlement::NextRenewal,
            })
        );
    }

    #[test]
    fn a_next_period_change_is_scheduled_for_the_renewal_without_proration() {
        let change = plan_seat_change(
            &tiers(),
            renewing(8, 2, february()),
            4,
            ProrationBehavior::NextPeriod,
            at(2, 15),
        );
        assert_eq!(
            change,
            Ok(SeatChange::AtRenewal {
                seats: 4,
                seat_charge: MinorUnits(4000),
                applies_at: at(3, 1),
            })
        );
    }

    #[test]
    fn an_invoiced_increase_is_charged_now_and_an_invoiced_credit_waits_for_the_renewal() {
        let up = plan_seat_change(
            &tiers(),
            renewing(3, 0, january()),
            8,
            ProrationBehavior::Invoice,
            at(1, 16),
        );
        assert!(matches!(
            up,
            Ok(SeatChange::Now {
                settlement: Settlement::ChargeNow,
                ..
            })
        ));
        let down = plan_seat_change(
            &tiers(),
            renewing(8, 0, february()),
            4,
            ProrationBehavior::Invoice,
            at(2, 15),
        );
        assert!(matches!(
            down,
            Ok(SeatChange::Now {
                settlement: Settlement::NextRenewal,
                proration: MinorUnits(-1200),
                ..
            })
        ));
    }

    #[test]
    fn a_decrease_below_the_assigned_seats_names_both_numbers() {
        let refused = plan_seat_change(
            &tiers(),
            renewing(8, 6, february()),
            5,
            ProrationBehavior::Prorate,
            at(2, 15),
        )
        .unwrap_err();
        assert_eq!(
            refused,
            SeatChangeError::AlreadyAssigned {
                requested: 5,
                assigned: 6
            }
        );
        assert_eq!(
            refused.to_string(),
            "Cannot decrease seats to 5. Currently 6 seats are assigned. Revoke seats first."
        );
    }

    #[test]
    fn counts_outside_the_tiers_or_the_system_limit_are_refused() {
        let plan = |seats| {
            plan_seat_change(
                &tiers(),
                renewing(3, 0, january()),
                seats,
                ProrationBehavior::Prorate,
                at(1, 2),
            )
        };
        assert_eq!(plan(0), Err(SeatChangeError::BelowMinimum { minimum: 1 }));
        assert_eq!(
            plan(1001),
            Err(SeatChangeError::AboveMaximum { maximum: 1000 })
        );
    }

    #[test]
    fn the_same_count_changes_nothing_but_drops_a_scheduled_change() {
        let mut current = renewing(8, 0, february());
        let plan =
            |current| plan_seat_change(&tiers(), current, 8, ProrationBehavior::Prorate, at(2, 15));
        assert_eq!(
            plan(current),
            Ok(SeatChange::Unchanged {
                drops_scheduled: false
            })
        );
        current.scheduled = Some(4);
        assert_eq!(
            plan(current),
            Ok(SeatChange::Unchanged {
                drops_scheduled: true
            })
        );
    }

    #[test]
    fn a_cancelling_or_ended_subscription_cannot_change() {
        let mut current = renewing(8, 0, february());
        current.standing = Standing::Cancelling;
        let plan =
            |current| plan_seat_change(&tiers(), current, 9, ProrationBehavior::Prorate, at(2, 15));
        assert_eq!(plan(current), Err(SeatChangeError::Cancelling));
        current.standing = Standing::Ended;
        assert_eq!(plan(current), Err(SeatChangeError::Ended));
    }

    #[test]
    fn proration_is_zero_at_the_period_end_and_whole_at_its_start() {
        let (old, new) = (MinorUnits(3000), MinorUnits(6400));
        assert_eq!(prorate(old, new, january(), at(2, 1)), Ok(MinorUnits(0)));
        assert_eq!(prorate(old, new, january(), at(3, 1)), Ok(MinorUnits(0)));
        assert_eq!(prorate(old, new, january(), at(1, 1)), Ok(MinorUnits(3400)));
    }

    #[test]
    fn proration_truncates_toward_zero_both_ways() {
        let third = BillingPeriod {
            start: at(1, 1),
            end: at(1, 4),
        };
        // Two days of three left: 100 × 2/3 = 66.67 → 66, and −66 the other way.
        assert_eq!(
            prorate(MinorUnits(0), MinorUnits(100), third, at(1, 2)),
            Ok(MinorUnits(66))
        );
        assert_eq!(
            prorate(MinorUnits(100), MinorUnits(0), third, at(1, 2)),
            Ok(MinorUnits(-66))
        );
    }

    #[test]
    fn proration_of_huge_amounts_does_not_overflow_midway() {
        let big = MinorUnits(i64::MAX / 2);
        assert_eq!(prorate(MinorUnits(0), big, january(), at(1, 1)), Ok(big));
    }
}
