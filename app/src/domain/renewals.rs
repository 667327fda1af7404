//! A subscription's renewal: its next billing period and what the renewal order bills.
//!
//! - Periods are anchored on the subscription's start: the n-th period ends n intervals after
//!   `started_at` (a month past January 31 is February 28, and the next one ends on March 31, not
//!   on March 28).
//! - A renewal bills the coming period in advance: the price of the seat count it will have (a
//!   count scheduled for the renewal applies, unless more seats are given out than it allows), plus
//!   the prorations of changes made during the period that ends (debits and credits). A credit
//!   larger than the renewal is not paid out: the order is free and the rest waits for the next
//!   renewal.

use chrono::{DateTime, Months, Utc};

use super::seat_changes::BillingPeriod;
use crate::model::{money::MinorUnits, product::RecurringInterval};

fn months(interval: RecurringInterval) -> u32 {
    match interval {
        RecurringInterval::Month => 1,
        RecurringInterval::Year => 12,
    }
}

/// The end of the `n`-th period of a subscription started at `anchor` (none past chrono's range).
pub fn nth_period_end(
    anchor: DateTime<Utc>,
    interval: RecurringInterval,
    n: u32,
) -> Option<DateTime<Utc>> {
    let total = months(interval).checked_mul(n)?;
    anchor.checked_add_months(Months::new(total))
}

/// The period after the one ending at `current_end`, for a subscription started at `anchor`.
/// A `current_end` off the anchor's grid (a period moved by hand) starts a period of one interval.
pub fn next_period(
    anchor: DateTime<Utc>,
    interval: RecurringInterval,
    current_end: DateTime<Utc>,
) -> Option<BillingPeriod> {
    let mut n = 1;
    loop {
        let end = nth_period_end(anchor, interval, n)?;
        if end > current_end {
            let on_grid = nth_period_end(anchor, interval, n - 1)? == current_end;
            let end = if on_grid {
                end
            } else {
                current_end.checked_add_months(Months::new(months(interval)))?
            };
            return Some(BillingPeriod {
                start: current_end,
                end,
            });
        }
        n = n.checked_add(1)?;
    }
}

/// What a renewal finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewalInput {
    pub seats: u32,
    /// A count scheduled for the renewal, if any.
    pub scheduled: Option<u32>,
    /// Seats given out (pending and claimed).
    pub assigned: u32,
    /// The prorations waiting to be billed, summed (positive: owed).
    pub prorations: MinorUnits,
}

/// What a renewal does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenewalPlan {
    /// The seat count of the new period.
    pub seats: u32,
    /// Whether a scheduled count could not apply (more seats given out than it allows).
    pub scheduled_refused: bool,
    /// What the order charges: the new period's amount and the prorations, at least zero.
    pub total: MinorUnits,
    /// A credit left over for the next renewal (zero or negative).
    pub carried: MinorUnits,
}

/// The renewal of `input`, whose new period costs `amount_for(seats)`.
pub fn plan_renewal<E>(
    input: RenewalInput,
    amount_for: impl Fn(u32) -> Result<MinorUnits, E>,
) -> Result<(RenewalPlan, MinorUnits), E> {
    let (seats, scheduled_refused) = match input.scheduled {
        Some(scheduled) if scheduled >= input.assigned => (scheduled, false),
        Some(_) => (input.seats, true),
        None => (input.seats, false),
    };
    let amount = amount_for(seats)?;
    let due = amount.get().saturating_add(input.prorations.get());
    let (total, carried) = if due < 0 { (0, due) } else { (due, 0) };
    Ok((
        RenewalPlan {
            seats,
            scheduled_refused,
            total: MinorUnits(total),
            carried: MinorUnits(carried),
        },
        amount,
    ))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).unwrap()
    }

    #[test]
    fn monthly_periods_are_anchored_on_the_start_and_do_not_drift_after_a_short_month() {
        let anchor = at(2027, 1, 31);
        let feb = next_period(anchor, RecurringInterval::Month, at(2027, 1, 31)).unwrap();
        assert_eq!(feb.end, at(2027, 2, 28));
        let mar = next_period(anchor, RecurringInterval::Month, feb.end).unwrap();
        assert_eq!((mar.start, mar.end), (at(2027, 2, 28), at(2027, 3, 31)));
    }

    #[test]
    fn a_yearly_period_started_on_a_leap_day_ends_on_february_28_then_back_on_the_29th() {
        let anchor = at(2028, 2, 29);
        let first_end = nth_period_end(anchor, RecurringInterval::Year, 1).unwrap();
        assert_eq!(first_end, at(2029, 2, 28));
        let next = next_period(anchor, RecurringInterval::Year, at(2031, 2, 28)).unwrap();
        assert_eq!(next.end, at(2032, 2, 29));
    }

    #[test]
    fn a_period_end_off_the_grid_starts_a_period_of_one_interval() {
        let next = next_period(at(2027, 1, 1), RecurringInterval::Month, at(2027, 1, 15)).unwrap();
        assert_eq!((next.start, next.end), (at(2027, 1, 15), at(2027, 2, 15)));
    }

    fn price(seats: u32) -> Result<MinorUnits, ()> {
        Ok(MinorUnits(i64::from(seats) * 800))
    }

    #[test]
    fn a_renewal_bills_the_new_count_plus_the_prorations() {
        let input = RenewalInput {
            seats: 8,
            scheduled: None,
            assigned: 3,
            prorations: MinorUnits(1754),
        };
        let (plan, amount) = plan_renewal(input, price).unwrap();
        assert_eq!(amount, MinorUnits(6400));
        assert_eq!(
            (plan.seats, plan.total, plan.carried),
            (8, MinorUnits(8154), MinorUnits(0))
        );
    }

    #[test]
    fn a_scheduled_count_applies_unless_more_seats_are_given_out() {
        let mut input = RenewalInput {
            seats: 8,
            scheduled: Some(4),
            assigned: 4,
            prorations: MinorUnits(0),
        };
        assert_eq!(plan_renewal(input, price).unwrap().0.seats, 4);
        input.assigned = 5;
        let (plan, _) = plan_renewal(input, price).unwrap();
        assert_eq!((plan.seats, plan.scheduled_refused), (8, true));
    }

    #[test]
    fn a_credit_larger_than_the_renewal_makes_it_free_and_carries_the_rest() {
        let input = RenewalInput {
            seats: 1,
            scheduled: None,
            assigned: 0,
            prorations: MinorUnits(-1000),
        };
        let (plan, _) = plan_renewal(input, price).unwrap();
        assert_eq!(
            (plan.total, plan.carried),
            (MinorUnits(0), MinorUnits(-200))
        );
    }
}
