//! What the customer portal (`/{org_slug}/portal`) shows a billing manager: each seat pool of the
//! customer (a subscription or a one-time order) with its seats, in the words of the page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Currency, Email, MinorUnits, OrderId, SeatId, SubscriptionId,
    billing::SubscriptionStatus,
    product::RecurringInterval,
    seat::{CustomerSeat, SeatStatus},
    subscription_update::SeatChangePreview,
};
use crate::domain::pricing::{ProductPricing, SeatTier, SeatTierType, SeatTiers, TierError};

/// The signed-in person and their team's pools.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalOverview {
    pub organization_name: String,
    /// The signed-in member's email.
    pub email: Email,
    /// Owner or billing manager: the pools below are theirs to manage. A plain member sees none.
    pub manages_seats: bool,
    pub pools: Vec<PortalPool>,
}

/// One pool: a subscription or a one-time order (exactly one of the two ids).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalPool {
    pub subscription_id: Option<SubscriptionId>,
    pub order_id: Option<OrderId>,
    pub product_name: String,
    pub state: PoolState,
    pub total_seats: u32,
    pub available_seats: u32,
    /// The seat count a decrease scheduled for the renewal, if any.
    pub scheduled_seats: Option<u32>,
    pub seats: Vec<PortalSeat>,
    /// How the seat count may change, for a subscription that can change (none for an order).
    pub terms: Option<SeatTerms>,
    /// The pool's orders, newest first (the one-time order itself, or the subscription's).
    pub orders: Vec<PortalOrder>,
    /// The newest entries of the pool's seat history, newest first.
    pub history: Vec<PortalHistoryEntry>,
    /// How many entries the whole history has.
    pub history_total: u64,
}

/// One order of a pool, as the page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalOrder {
    pub created_at: DateTime<Utc>,
    /// "Purchase", "Subscription start", "Renewal", "Seat change".
    pub reason: String,
    pub seats: u32,
    /// The total, formatted in its currency ("$45.00").
    pub total: String,
}

/// One entry of a pool's seat history: who did what to whose seat, when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalHistoryEntry {
    pub at: DateTime<Utc>,
    pub email: Email,
    /// "Invited", "Claimed", "Invitation resent", "Revoked", "Reassigned".
    pub action: String,
    /// Who a reassigned seat went to.
    pub to: Option<Email>,
    /// "by the merchant", "by the billing manager", "by the member", "by Seatkeeper".
    pub by: String,
}

/// What the page needs to price a seat count in the browser, with the same code the server bills
/// with, and to offer the subscription's changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeatTerms {
    pub currency: Currency,
    pub recurring_interval: RecurringInterval,
    pub tier_type: SeatTierType,
    pub tiers: Vec<SeatTier>,
    pub fixed: Option<MinorUnits>,
    /// The seats paid for now.
    pub seats: u32,
    /// Cancelled at the period's end (it can be resumed until then).
    pub cancel_at_period_end: bool,
}

impl SeatTerms {
    /// The pricing the server bills with, rebuilt from the tiers.
    pub fn pricing(&self) -> Result<ProductPricing, TierError> {
        Ok(ProductPricing {
            tiers: SeatTiers::new(self.tier_type, self.tiers.clone())?,
            fixed: self.fixed,
        })
    }

    /// "12 seats: $96.00 / month", or why that count cannot be bought.
    pub fn price_text(&self, seats: u32) -> String {
        let per = match self.recurring_interval {
            RecurringInterval::Month => "month",
            RecurringInterval::Year => "year",
        };
        match self.pricing().map(|pricing| pricing.amount_for(seats)) {
            Ok(Ok(amount)) => format!(
                "{seats} {}: {} / {per}",
                if seats == 1 { "seat" } else { "seats" },
                self.currency.format(amount)
            ),
            _ => format!("{seats} seats cannot be bought with this plan."),
        }
    }
}

/// A seat-count change as the page says it, from the server's preview (a change that applies at
/// the renewal applies when the next period starts).
pub fn preview_text(preview: &SeatChangePreview) -> String {
    let money = |amount: MinorUnits| preview.currency.format(amount);
    let seats = preview.seats;
    if preview.applies_at >= preview.next_renewal_at {
        format!(
            "{seats} seats from the renewal on {}, for {} per period. Nothing is charged now.",
            day(preview.applies_at),
            money(preview.amount)
        )
    } else if preview.due_now.0 > 0 {
        format!(
            "{seats} seats from now, for {} per period. Charged now for the rest of this period: {}.",
            money(preview.amount),
            money(preview.due_now)
        )
    } else {
        format!(
            "{seats} seats from now, for {} per period. The next renewal on {} bills {}.",
            money(preview.amount),
            day(preview.next_renewal_at),
            money(preview.next_renewal_amount)
        )
    }
}

/// Where a pool stands, as the page says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolState {
    /// Renews at the end of its period.
    Renews { at: DateTime<Utc> },
    /// Cancelled: its seats last until then.
    Cancelling { ends_at: DateTime<Utc> },
    /// A payment failed; seats stay for the grace period.
    PastDue,
    /// Bought once: no renewal.
    OneTime,
    /// Any other subscription status (trialing, paused, ...), as its name.
    Other { status: SubscriptionStatus },
}

impl PoolState {
    /// "Renews on December 30, 2026", "Ends on ...", "Payment past due", "One-time purchase".
    pub fn text(&self) -> String {
        match self {
            Self::Renews { at } => format!("Renews on {}", day(*at)),
            Self::Cancelling { ends_at } => format!("Cancelled: ends on {}", day(*ends_at)),
            Self::PastDue => "Payment past due".into(),
            Self::OneTime => "One-time purchase".into(),
            Self::Other { status } => {
                let name = serde_json::to_value(status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
                    .replace('_', " ");
                let mut chars = name.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        }
    }
}

impl PortalPool {
    /// Pending and claimed seats.
    pub const fn used_seats(&self) -> u32 {
        self.total_seats.saturating_sub(self.available_seats)
    }
}

/// A seat as the table shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalSeat {
    pub id: SeatId,
    pub email: Email,
    pub status: SeatView,
    pub invited_at: DateTime<Utc>,
    pub invitation_expires_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A seat's status for a person: a pending seat whose invitation has run out is *expired* (it
/// still holds its place; resending gives it a new link).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SeatView {
    Pending,
    Expired,
    Claimed,
    Revoked,
}

impl SeatView {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Expired, Self::Claimed, Self::Revoked];

    /// The view of `seat` at `now`.
    pub fn of(seat: &CustomerSeat, now: DateTime<Utc>) -> Self {
        match seat.status {
            SeatStatus::Pending
                if seat
                    .invitation_token_expires_at
                    .is_none_or(|expires| expires <= now) =>
            {
                Self::Expired
            }
            SeatStatus::Pending => Self::Pending,
            SeatStatus::Claimed => Self::Claimed,
            SeatStatus::Revoked => Self::Revoked,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Expired => "Expired",
            Self::Claimed => "Claimed",
            Self::Revoked => "Revoked",
        }
    }

    /// The value of the status filter.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Claimed => "claimed",
            Self::Revoked => "revoked",
        }
    }

    /// A pending or expired seat's invitation can be sent again.
    pub const fn can_resend(self) -> bool {
        matches!(self, Self::Pending | Self::Expired)
    }

    /// Every seat but a revoked one can be revoked.
    pub const fn can_revoke(self) -> bool {
        !matches!(self, Self::Revoked)
    }
}

impl PortalSeat {
    /// The table's row of `seat` at `now`.
    pub fn of(seat: &CustomerSeat, now: DateTime<Utc>) -> Self {
        Self {
            id: seat.id,
            email: seat.email.clone(),
            status: SeatView::of(seat, now),
            invited_at: seat.created_at,
            invitation_expires_at: seat.invitation_token_expires_at,
            claimed_at: seat.claimed_at,
            revoked_at: seat.revoked_at,
        }
    }
}

/// A pasted list of people to invite (lines, commas, semicolons or tabs; a CSV's other columns,
/// such as names or a header, are words without `@` and are skipped), sorted out before anyone is
/// invited.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteList {
    /// Valid emails, each once, in the order given.
    pub valid: Vec<Email>,
    /// What looked like an email but is not one.
    pub invalid: Vec<String>,
    /// Emails given twice, or already holding a seat in the pool.
    pub duplicates: Vec<String>,
}

impl InviteList {
    /// Sorts `text` out; `taken` are the pool's emails with a pending or claimed seat.
    pub fn parse(text: &str, taken: &[Email]) -> Self {
        let mut list = Self::default();
        for word in text
            .split(['\n', '\r', ',', ';', '\t', ' '])
            .map(|word| word.trim().trim_matches(['"', '\'', '<', '>']))
            .filter(|word| word.contains('@'))
        {
            match Email::parse(word) {
                Ok(email) if list.valid.contains(&email) || taken.contains(&email) => {
                    list.duplicates.push(email.to_string());
                }
                Ok(email) => list.valid.push(email),
                Err(_) => list.invalid.push(word.to_owned()),
            }
        }
        list
    }
}

/// What inviting a list did: who was invited, who was not for lack of a free seat (the list stops
/// at the pool's capacity), and who could not be invited, with why.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteOutcome {
    pub invited: Vec<Email>,
    pub no_seat_left: Vec<Email>,
    pub failed: Vec<(Email, String)>,
    /// Words of the list that are not emails, or repeat one.
    pub skipped: Vec<String>,
}

impl InviteOutcome {
    /// Adds a later part of the same list's outcome.
    pub fn extend(&mut self, more: Self) {
        self.invited.extend(more.invited);
        self.no_seat_left.extend(more.no_seat_left);
        self.failed.extend(more.failed);
        self.skipped.extend(more.skipped);
    }

    /// "Invited 5 people. No seat was left for: a@x, b@x. Could not invite c@x: why."
    pub fn summary(&self) -> String {
        let mut said = match self.invited.len() {
            1 => "Invited 1 person.".to_owned(),
            n => format!("Invited {n} people."),
        };
        let join = |emails: &[Email]| {
            emails
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.no_seat_left.is_empty() {
            said.push_str(&format!(
                " No seat was left for: {}.",
                join(&self.no_seat_left)
            ));
        }
        for (email, why) in &self.failed {
            said.push_str(&format!(" Could not invite {email}: {why}."));
        }
        if !self.skipped.is_empty() {
            said.push_str(&format!(" Skipped: {}.", self.skipped.join(", ")));
        }
        said
    }
}

/// "December 30, 2026".
pub fn day(at: DateTime<Utc>) -> String {
    at.format("%B %-d, %Y").to_string()
}

/// "Dec 30, 2026".
pub fn short_day(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %Y").to_string()
}

/// "Dec 30, 14:05 UTC" (an invitation link's hour matters: it lasts a day).
pub fn short_moment(at: DateTime<Utc>) -> String {
    at.format("%b %-d, %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        CustomerId, MemberId,
        customer::{Member, MemberRole},
        metadata::Metadata,
    };
    use chrono::{Duration, TimeZone};

    fn seat(status: SeatStatus, expires: Option<DateTime<Utc>>) -> CustomerSeat {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let email = Email::parse("jane@globex.example").unwrap();
        let member_id = MemberId::new();
        let customer_id = CustomerId::new();
        CustomerSeat {
            id: SeatId::new(),
            created_at: at,
            modified_at: None,
            subscription_id: None,
            order_id: None,
            status,
            customer_id,
            member_id,
            member: Member {
                id: member_id,
                created_at: at,
                modified_at: None,
                customer_id,
                email: email.clone(),
                name: None,
                external_id: None,
                role: MemberRole::Member,
            },
            email,
            customer_email: None,
            invitation_token_expires_at: expires,
            claimed_at: None,
            revoked_at: None,
            seat_metadata: Metadata::default(),
        }
    }

    #[test]
    fn a_pending_seat_whose_invitation_ran_out_is_expired() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let view = |status, expires| SeatView::of(&seat(status, expires), now);
        assert_eq!(
            view(SeatStatus::Pending, Some(now + Duration::hours(1))),
            SeatView::Pending
        );
        assert_eq!(view(SeatStatus::Pending, Some(now)), SeatView::Expired);
        assert_eq!(view(SeatStatus::Pending, None), SeatView::Expired);
        assert_eq!(view(SeatStatus::Claimed, None), SeatView::Claimed);
        assert_eq!(view(SeatStatus::Revoked, None), SeatView::Revoked);
    }

    #[test]
    fn only_unrevoked_seats_revoke_and_only_unclaimed_ones_resend() {
        assert!(SeatView::Expired.can_resend() && SeatView::Pending.can_resend());
        assert!(!SeatView::Claimed.can_resend() && !SeatView::Revoked.can_resend());
        assert!(SeatView::Claimed.can_revoke() && !SeatView::Revoked.can_revoke());
    }

    #[test]
    fn a_pasted_list_keeps_valid_emails_once_and_names_the_rest() {
        let taken = [Email::parse("bob@globex.example").unwrap()];
        let list = InviteList::parse(
            "name,email\nAnn,ann@globex.example\n\"Cy\" <cy@globex.example>; ann@globex.example\n\
             bob@globex.example\tnot-an-email@\nDee,dee@globex.example",
            &taken,
        );
        let valid: Vec<String> = list.valid.iter().map(ToString::to_string).collect();
        assert_eq!(
            valid,
            [
                "ann@globex.example",
                "cy@globex.example",
                "dee@globex.example"
            ]
        );
        assert_eq!(list.invalid, ["not-an-email@"]);
        assert_eq!(
            list.duplicates,
            ["ann@globex.example", "bob@globex.example"]
        );
    }

    #[test]
    fn a_pools_state_reads_as_a_sentence() {
        let at = Utc.with_ymd_and_hms(2026, 12, 30, 0, 0, 0).unwrap();
        assert_eq!(
            PoolState::Renews { at }.text(),
            "Renews on December 30, 2026"
        );
        assert_eq!(
            PoolState::Other {
                status: SubscriptionStatus::Trialing
            }
            .text(),
            "Trialing"
        );
    }
}
