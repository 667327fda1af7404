//! Rules of a checkout: which seat counts it offers and when its billing periods end.

use chrono::{DateTime, Months, Utc};

use super::pricing::{SYSTEM_MAX_SEATS, SeatLimits};
use crate::model::product::RecurringInterval;

/// Why a checkout's seat settings are refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeatRangeError {
    #[error("min_seats ({min}) is above max_seats ({max})")]
    Inverted { min: u32, max: u32 },
    #[error(
        "the product sells {minimum} to {maximum} seats; {field} = {value} is outside that range"
    )]
    OutsideProduct {
        field: &'static str,
        value: u32,
        minimum: u32,
        maximum: u32,
    },
}

/// The seat range a checkout offers: the product's limits, narrowed by the checkout's own
/// `min_seats`/`max_seats`, and the starting count (`seats`, else the range's minimum).
pub fn checkout_seats(
    product: SeatLimits,
    seats: Option<u32>,
    min_seats: Option<u32>,
    max_seats: Option<u32>,
) -> Result<(u32, SeatLimits), SeatRangeError> {
    let outside = |field, value| SeatRangeError::OutsideProduct {
        field,
        value,
        minimum: product.minimum,
        maximum: product.maximum,
    };
    for (field, value) in [
        ("min_seats", min_seats),
        ("max_seats", max_seats),
        ("seats", seats),
    ] {
        if let Some(value) = value
            && !product.contains(value)
        {
            return Err(outside(field, value));
        }
    }
    let range = SeatLimits {
        minimum: min_seats.unwrap_or(product.minimum),
        maximum: max_seats.unwrap_or(product.maximum).min(SYSTEM_MAX_SEATS),
    };
    if range.minimum > range.maximum {
        return Err(SeatRangeError::Inverted {
            min: range.minimum,
            max: range.maximum,
        });
    }
    let seats = seats.unwrap_or(range.minimum);
    if !range.contains(seats) {
        return Err(SeatRangeError::OutsideProduct {
            field: "seats",
            value: seats,
            minimum: range.minimum,
            maximum: range.maximum,
        });
    }
    Ok((seats, range))
}

/// The end of a billing period that starts at `start`: one calendar month or year later (the 31st
/// of January plus a month is the last day of February).
pub fn period_end(start: DateTime<Utc>, interval: RecurringInterval) -> DateTime<Utc> {
    let months = match interval {
        RecurringInterval::Month => Months::new(1),
        RecurringInterval::Year => Months::new(12),
    };
    start.checked_add_months(months).unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const PRODUCT: SeatLimits = SeatLimits {
        minimum: 2,
        maximum: 50,
    };

    #[test]
    fn without_settings_a_checkout_offers_the_products_range_starting_at_its_minimum() {
        assert_eq!(checkout_seats(PRODUCT, None, None, None), Ok((2, PRODUCT)));
    }

    #[test]
    fn a_checkout_may_narrow_the_range_and_pick_a_start() {
        assert_eq!(
            checkout_seats(PRODUCT, Some(5), Some(3), Some(10)),
            Ok((
                5,
                SeatLimits {
                    minimum: 3,
                    maximum: 10
                }
            ))
        );
    }

    #[test]
    fn values_outside_the_product_are_refused_by_name() {
        assert_eq!(
            checkout_seats(PRODUCT, Some(51), None, None),
            Err(SeatRangeError::OutsideProduct {
                field: "seats",
                value: 51,
                minimum: 2,
                maximum: 50
            })
        );
        assert!(matches!(
            checkout_seats(PRODUCT, None, Some(1), None),
            Err(SeatRangeError::OutsideProduct {
                field: "min_seats",
                ..
            })
        ));
        assert_eq!(
            checkout_seats(PRODUCT, None, Some(9), Some(4)),
            Err(SeatRangeError::Inverted { min: 9, max: 4 })
        );
    }

    #[test]
    fn a_seat_count_outside_the_narrowed_range_is_refused() {
        assert!(checkout_seats(PRODUCT, Some(20), None, Some(10)).is_err());
    }

    #[test]
    fn monthly_periods_end_on_the_same_day_next_month_or_the_last_day() {
        let jan31 = Utc.with_ymd_and_hms(2027, 1, 31, 12, 0, 0).unwrap();
        assert_eq!(
            period_end(jan31, RecurringInterval::Month),
            Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap()
        );
        let mar15 = Utc.with_ymd_and_hms(2027, 3, 15, 0, 0, 0).unwrap();
        assert_eq!(
            period_end(mar15, RecurringInterval::Year),
            Utc.with_ymd_and_hms(2028, 3, 15, 0, 0, 0).unwrap()
        );
    }
}
