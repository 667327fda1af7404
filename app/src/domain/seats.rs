//! The rules of a seat, with no database and no clock: who a request names as the holder, which
//! pools take seats, and how a seat moves between pending, claimed and revoked. The seat service
//! asks these; the store only makes each move atomic.

use crate::model::{
    CustomerId, Email, MemberId, Named,
    billing::{OrderStatus, SubscriptionStatus},
    seat::{SeatAssign, SeatStatus},
};

/// Who a seat is assigned to, as the request names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    /// A member of the billing customer with this email (created if there is none).
    Email(Email),
    /// The member with this external id (created with `email` if there is none).
    ExternalMember {
        external_id: String,
        email: Option<Email>,
    },
    Member(MemberId),
    /// The billing customer itself: its owner member.
    Customer(CustomerId),
    /// The billing customer with this external id: its owner member.
    ExternalCustomer(String),
}

/// Why a request names no usable holder: the field to blame and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderError {
    pub field: &'static str,
    pub message: String,
}

impl HolderError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl Holder {
    /// Exactly one identifier, or `external_member_id` with `email`; anything else names the
    /// fields that clash (or the one that is missing).
    pub fn of(input: &SeatAssign) -> Result<Self, HolderError> {
        let given: Vec<&'static str> = [
            ("email", input.email.is_some()),
            ("external_member_id", input.external_member_id.is_some()),
            ("member_id", input.member_id.is_some()),
            ("customer_id", input.customer_id.is_some()),
            ("external_customer_id", input.external_customer_id.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        match given.as_slice() {
            ["email"] => input.email.clone().map(Self::Email),
            ["external_member_id"] | ["email", "external_member_id"] => {
                let external_id = input.external_member_id.clone().unwrap_or_default();
                if external_id.trim().is_empty() {
                    return Err(HolderError::new("external_member_id", "must not be empty"));
                }
                Some(Self::ExternalMember {
                    external_id,
                    email: input.email.clone(),
                })
            }
            ["member_id"] => input.member_id.map(Self::Member),
            ["customer_id"] => input.customer_id.map(Self::Customer),
            ["external_customer_id"] => input
                .external_customer_id
                .clone()
                .map(Self::ExternalCustomer),
            [] => {
                return Err(HolderError::new(
                    "email",
                    "name the seat holder: email, external_member_id (alone or with email), \
                     member_id, customer_id or external_customer_id",
                ));
            }
            fields => {
                return Err(HolderError::new(
                    fields[1],
                    format!(
                        "give only one seat holder identifier (or external_member_id with email), \
                         not {}",
                        fields.join(" and ")
                    ),
                ));
            }
        }
        .ok_or_else(|| HolderError::new("email", "the seat holder is missing"))
    }
}

/// What kind of purchase a pool is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Subscription,
    Order,
}

impl PoolKind {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Subscription => "subscription",
            Self::Order => "order",
        }
    }
}

/// Why a pool takes no new seats and no claims right now, if it does not: a subscription must be
/// active or trialing, an order paid, and the billing customer not deleted. `status` is the pool's
/// stored status.
pub fn why_pool_refuses_seats(
    kind: PoolKind,
    status: &str,
    customer_deleted: bool,
) -> Option<String> {
    let kind_name = kind.name();
    if customer_deleted {
        return Some(format!("the customer of this {kind_name} was deleted"));
    }
    let usable = match kind {
        PoolKind::Subscription => matches!(
            SubscriptionStatus::parse(status),
            Some(SubscriptionStatus::Active | SubscriptionStatus::Trialing)
        ),
        PoolKind::Order => OrderStatus::parse(status) == Some(OrderStatus::Paid),
    };
    (!usable).then(|| format!("the {kind_name} is {status}"))
}

/// What can happen to a seat once it exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatEvent {
    /// The holder claims it with their invitation.
    Claim,
    /// A billing manager or the merchant takes it back.
    Revoke,
    /// A new invitation replaces the old one.
    Resend,
}

/// The status a new seat starts in: claimed at once when the merchant asks (`immediate_claim`),
/// else pending until its holder claims it.
pub const fn initial_status(immediate_claim: bool) -> SeatStatus {
    if immediate_claim {
        SeatStatus::Claimed
    } else {
        SeatStatus::Pending
    }
}

/// The status `event` moves a seat in `from` to, or `None` when it does not apply: only a pending
/// seat is claimed or re-sent, a pending or claimed one revoked, and a revoked seat stays revoked.
pub const fn transition(from: SeatStatus, event: SeatEvent) -> Option<SeatStatus> {
    match (from, event) {
        (SeatStatus::Pending, SeatEvent::Claim) => Some(SeatStatus::Claimed),
        (SeatStatus::Pending, SeatEvent::Resend) => Some(SeatStatus::Pending),
        (SeatStatus::Pending | SeatStatus::Claimed, SeatEvent::Revoke) => Some(SeatStatus::Revoked),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(edit: impl FnOnce(&mut SeatAssign)) -> SeatAssign {
        let mut input: SeatAssign = serde_json::from_str("{}").unwrap();
        edit(&mut input);
        input
    }

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    #[test]
    fn an_email_alone_names_a_member_by_email() {
        let input = assign(|a| a.email = Some(email("ada@example.com")));
        assert_eq!(
            Holder::of(&input),
            Ok(Holder::Email(email("ada@example.com")))
        );
    }

    #[test]
    fn an_external_member_id_may_come_with_an_email() {
        let input = assign(|a| {
            a.external_member_id = Some("u-1".into());
            a.email = Some(email("ada@example.com"));
        });
        assert_eq!(
            Holder::of(&input),
            Ok(Holder::ExternalMember {
                external_id: "u-1".into(),
                email: Some(email("ada@example.com")),
            })
        );
    }

    #[test]
    fn a_blank_external_member_id_is_refused() {
        let input = assign(|a| a.external_member_id = Some("  ".into()));
        assert_refused(&input, "external_member_id", "must not be empty");
    }

    /// Asserts that `input` names no valid holder, the error pointing at `field` and saying `words`.
    fn assert_refused(input: &SeatAssign, field: &str, words: &str) {
        let err = Holder::of(input).unwrap_err();
        assert_eq!(err.field, field);
        assert!(err.message.contains(words), "{}", err.message);
    }

    #[test]
    fn no_holder_is_refused_naming_email() {
        assert_refused(&assign(|_| {}), "email", "name the seat holder");
    }

    #[test]
    fn two_holders_are_refused_naming_the_second() {
        let input = assign(|a| {
            a.email = Some(email("ada@example.com"));
            a.member_id = Some(MemberId::new());
        });
        assert_refused(&input, "member_id", "email and member_id");
    }

    #[test]
    fn only_active_or_trialing_subscriptions_and_paid_orders_take_seats() {
        for status in ["active", "trialing"] {
            assert_eq!(
                why_pool_refuses_seats(PoolKind::Subscription, status, false),
                None
            );
        }
        for status in ["canceled", "incomplete", "past_due", "unpaid"] {
            assert_eq!(
                why_pool_refuses_seats(PoolKind::Subscription, status, false),
                Some(format!("the subscription is {status}"))
            );
        }
        assert_eq!(why_pool_refuses_seats(PoolKind::Order, "paid", false), None);
        assert_eq!(
            why_pool_refuses_seats(PoolKind::Order, "refunded", false),
            Some("the order is refunded".to_owned())
        );
    }

    #[test]
    fn a_deleted_customers_pool_takes_no_seats_whatever_its_status() {
        assert_eq!(
            why_pool_refuses_seats(PoolKind::Subscription, "active", true),
            Some("the customer of this subscription was deleted".to_owned())
        );
    }

    #[test]
    fn only_a_pending_seat_is_claimed_or_resent_and_a_revoked_one_never_moves() {
        use SeatEvent::*;
        use SeatStatus::*;
        assert_eq!(transition(Pending, Claim), Some(Claimed));
        assert_eq!(transition(Pending, Resend), Some(Pending));
        assert_eq!(transition(Pending, Revoke), Some(Revoked));
        assert_eq!(transition(Claimed, Revoke), Some(Revoked));
        assert_eq!(transition(Claimed, Claim), None);
        assert_eq!(transition(Claimed, Resend), None);
        for event in [Claim, Revoke, Resend] {
            assert_eq!(transition(Revoked, event), None);
        }
    }

    #[test]
    fn a_seat_starts_pending_unless_claimed_at_once() {
        assert_eq!(initial_status(false), SeatStatus::Pending);
        assert_eq!(initial_status(true), SeatStatus::Claimed);
    }
}
