//! Enums that are sent, stored and filtered by as their snake_case names (`past_due`). Each derives
//! its names with strum (`IntoStaticStr`, `EnumString`, `serialize_all = "snake_case"`, the same
//! spelling as its serde and sqlx attributes), and this trait gives them one vocabulary.

use std::str::FromStr;

/// An enum named on the wire and in the database by its snake_case name.
pub trait Named: Copy + Into<&'static str> + FromStr {
    /// The value's name.
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// The value with this name, if any.
    fn parse(raw: &str) -> Option<Self> {
        raw.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        billing::{BillingReason, CheckoutStatus, OrderStatus, SubscriptionStatus},
        customer::{CustomerType, MemberRole},
        organization::ProrationBehavior,
        product::RecurringInterval,
        seat::{ActorType, SeatAction, SeatStatus},
    };

    /// Each value's name is its serde name, and parses back to it.
    fn names_round_trip<T>(values: &[T])
    where
        T: Named + serde::Serialize + PartialEq + std::fmt::Debug,
    {
        for &value in values {
            let wire = serde_json::to_value(value).unwrap();
            assert_eq!(wire.as_str(), Some(value.as_str()), "{value:?}");
            assert_eq!(T::parse(value.as_str()), Some(value));
        }
        assert_eq!(T::parse("no_such_name"), None);
    }

    #[test]
    fn every_name_is_the_serde_name_and_parses_back() {
        names_round_trip(&SubscriptionStatus::ALL);
        names_round_trip(&OrderStatus::ALL);
        names_round_trip(&SeatAction::ALL);
        names_round_trip(&ActorType::ALL);
        names_round_trip(&[
            SeatStatus::Pending,
            SeatStatus::Claimed,
            SeatStatus::Revoked,
        ]);
        names_round_trip(&[CustomerType::Individual, CustomerType::Team]);
        names_round_trip(&[
            MemberRole::Owner,
            MemberRole::BillingManager,
            MemberRole::Member,
        ]);
        names_round_trip(&[RecurringInterval::Month, RecurringInterval::Year]);
        names_round_trip(&[
            ProrationBehavior::Invoice,
            ProrationBehavior::Prorate,
            ProrationBehavior::NextPeriod,
        ]);
        names_round_trip(&[
            CheckoutStatus::Open,
            CheckoutStatus::Confirmed,
            CheckoutStatus::Succeeded,
            CheckoutStatus::Failed,
            CheckoutStatus::Expired,
        ]);
        names_round_trip(&[
            BillingReason::Purchase,
            BillingReason::SubscriptionCreate,
            BillingReason::SubscriptionCycle,
            BillingReason::SubscriptionUpdate,
        ]);
    }
}
