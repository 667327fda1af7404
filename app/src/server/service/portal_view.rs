//! The customer portal page's read: the signed-in person's team pools with their seats, built from
//! the same services as the portal's REST endpoints (`portal_subscriptions`, `portal_orders`, the
//! seat list), so the page and the API never disagree on who sees what.

use crate::model::page::SEAT_LIST_LIMIT;
use crate::model::{
    PageRequest,
    billing::{
        BillingReason, CustomerOrder, CustomerSubscription, ProductBillingType, SubscriptionStatus,
    },
    customer::MemberRole,
    portal_view::{
        InviteList, InviteOutcome, PoolState, PortalHistoryEntry, PortalOrder, PortalOverview,
        PortalPool, PortalSeat, SeatTerms,
    },
    product::ProductPrice,
    seat::{ActorType, SeatAction, SeatAssign, SeatAuditEntry},
    seat::{SeatPool, SeatsList},
};
use crate::server::store::{OrderFilter, StoreError, SubscriptionFilter};

use super::{Credential, PortalCaller, SeatCaller, ServiceError, Services};

/// At most this many subscriptions and as many orders are shown.
const POOLS_SHOWN: u32 = 100;
/// The newest this many entries of a pool's seat history are shown.
const HISTORY_SHOWN: u32 = 20;

impl Services {
    /// The portal's overview for `caller`: every live subscription and every one-time order of
    /// its customer, each with its seats, for an owner or billing manager; no pool for a member.
    pub async fn portal_overview(
        &self,
        caller: &PortalCaller,
    ) -> Result<PortalOverview, ServiceError> {
        let organization_name = self
            .store()
            .organization(caller.organization_id)
            .await?
            .map(|organization| organization.name)
            .unwrap_or_default();
        let email = self
            .store()
            .member(caller.customer_id, caller.member_id)
            .await?
            .ok_or(ServiceError::Unauthorized("your membership has ended"))?
            .email;
        let manages_seats = caller.role != MemberRole::Member;
        let mut pools = Vec::new();
        if manages_seats {
            let page = PageRequest::within(None, None, POOLS_SHOWN, POOLS_SHOWN)
                .map_err(ServiceError::Validation)?;
            let subscriptions = self
                .portal_subscriptions(caller, live_subscriptions(), page)
                .await?
                .items;
            for subscription in subscriptions.iter().filter(|s| is_live(s)) {
                let pool = SeatPool::Subscription(subscription.core.id);
                if let Some(seats) = self.portal_seat_list(caller, pool).await? {
                    let mut shown = subscription_pool(subscription, seats, self.now());
                    let of_subscription = OrderFilter {
                        subscription_ids: vec![subscription.core.id],
                        ..OrderFilter::default()
                    };
                    let orders = self.portal_orders(caller, of_subscription, page).await?;
                    shown.orders = orders.items.iter().map(order_row).collect();
                    shown
                        .orders
                        .sort_by_key(|order| std::cmp::Reverse(order.created_at));
                    self.add_history(caller, pool, &mut shown).await?;
                    pools.push(shown);
                }
            }
            let one_time = OrderFilter {
                billing_types: vec![ProductBillingType::OneTime],
                ..OrderFilter::default()
            };
            let orders = self.portal_orders(caller, one_time, page).await?.items;
            for order in &orders {
                let pool = SeatPool::Order(order.core.id);
                if let Some(seats) = self.portal_seat_list(caller, pool).await? {
                    let mut shown = order_pool(order, seats, self.now());
                    self.add_history(caller, pool, &mut shown).await?;
                    pools.push(shown);
                }
            }
        }
        Ok(PortalOverview {
            organization_name,
            email,
            manages_seats,
            pools,
        })
    }

    /// Invites each of `list`'s valid emails to a seat of `pool`, in order, until the pool is full:
    /// the rest are reported as having no seat left; an email the pool refuses (e.g. already
    /// holding a seat) is reported with why and the list goes on. A fault of the server stops it.
    pub async fn invite_list(
        &self,
        caller: &SeatCaller,
        pool: SeatPool,
        list: InviteList,
    ) -> Result<InviteOutcome, ServiceError> {
        let mut outcome = InviteOutcome {
            skipped: list.invalid.into_iter().chain(list.duplicates).collect(),
            ..InviteOutcome::default()
        };
        let mut emails = list.valid.into_iter();
        for email in emails.by_ref() {
            let (subscription_id, order_id) = match pool {
                SeatPool::Subscription(id) => (Some(id), None),
                SeatPool::Order(id) => (None, Some(id)),
            };
            let assign = SeatAssign {
                subscription_id,
                order_id,
                email: Some(email.clone()),
                ..SeatAssign::default()
            };
            match self.assign_seat(Credential::Caller(caller), assign).await {
                Ok(_) => outcome.invited.push(email),
                Err(ServiceError::Rejected {
                    error: "SeatNotAvailable",
                    ..
                }) => {
                    outcome.no_seat_left.push(email);
                    break;
                }
                Err(err) if !err.is_server_fault() => {
                    let why = err.body().detail_text();
                    outcome.failed.push((email, why));
                }
                Err(err) => return Err(err),
            }
        }
        outcome.no_seat_left.extend(emails);
        Ok(outcome)
    }

    /// The newest [`HISTORY_SHOWN`] entries of the pool's seat history (the log pages oldest
    /// first: its last page), newest first.
    async fn add_history(
        &self,
        caller: &PortalCaller,
        pool: SeatPool,
        shown: &mut PortalPool,
    ) -> Result<(), ServiceError> {
        let caller = SeatCaller::Portal(caller.clone());
        let first = PageRequest::within(None, Some(1), 1, 1).map_err(ServiceError::Validation)?;
        let total = self
            .seat_audit_log(&caller, pool, first)
            .await?
            .pagination
            .total_count;
        let last_page = u32::try_from(total.div_ceil(u64::from(HISTORY_SHOWN)))
            .unwrap_or(u32::MAX)
            .max(1);
        let page = PageRequest::within(
            Some(last_page),
            Some(HISTORY_SHOWN),
            HISTORY_SHOWN,
            HISTORY_SHOWN,
        )
        .map_err(ServiceError::Validation)?;
        let log = self.seat_audit_log(&caller, pool, page).await?;
        shown.history = log.entries.iter().rev().map(history_row).collect();
        shown.history_total = total;
        Ok(())
    }

    /// A pool's seats as the seat list answers them (`None` for a pool without seats, e.g. an
    /// order that was not for seats).
    async fn portal_seat_list(
        &self,
        caller: &PortalCaller,
        pool: SeatPool,
    ) -> Result<Option<SeatsList>, ServiceError> {
        let caller = SeatCaller::Portal(caller.clone());
        let page = PageRequest::within(None, None, SEAT_LIST_LIMIT, SEAT_LIST_LIMIT)
            .map_err(ServiceError::Validation)?;
        match self
            .seat_list_json(Credential::Caller(&caller), pool, None, page)
            .await
        {
            Ok(json) => serde_json::from_slice(&json.json()).map(Some).map_err(|e| {
                ServiceError::Internal(StoreError::Corrupt(format!("seat list: {e}")))
            }),
            Err(ServiceError::NotFound { .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// The subscriptions the query asks for: those that may still have seats to manage ([`is_live`]
/// then drops ended ones).
fn live_subscriptions() -> SubscriptionFilter {
    SubscriptionFilter {
        statuses: vec![
            SubscriptionStatus::Active,
            SubscriptionStatus::Trialing,
            SubscriptionStatus::PastDue,
            SubscriptionStatus::Unpaid,
            SubscriptionStatus::Paused,
        ],
        ..SubscriptionFilter::default()
    }
}

/// A subscription of [`live_subscriptions`] that has not ended.
fn is_live(subscription: &CustomerSubscription) -> bool {
    subscription.core.ended_at.is_none()
}

fn subscription_pool(
    subscription: &CustomerSubscription,
    list: SeatsList,
    now: chrono::DateTime<chrono::Utc>,
) -> PortalPool {
    let core = &subscription.core;
    let state = match core.status {
        SubscriptionStatus::PastDue => PoolState::PastDue,
        _ if core.cancel_at_period_end => PoolState::Cancelling {
            ends_at: core.ends_at.unwrap_or(core.current_period_end),
        },
        SubscriptionStatus::Active => PoolState::Renews {
            at: core.current_period_end,
        },
        status => PoolState::Other { status },
    };
    PortalPool {
        subscription_id: Some(core.id),
        order_id: None,
        product_name: subscription.product.product.name.clone(),
        state,
        total_seats: list.total_seats,
        available_seats: list.available_seats,
        scheduled_seats: subscription
            .pending_update
            .as_ref()
            .and_then(|update| update.seats),
        seats: list.seats.iter().map(|s| PortalSeat::of(s, now)).collect(),
        terms: seat_terms(subscription),
        orders: Vec::new(),
        history: Vec::new(),
        history_total: 0,
    }
}

/// How an active (or trialing) subscription's seats may change: its seat price's tiers.
fn seat_terms(subscription: &CustomerSubscription) -> Option<SeatTerms> {
    let core = &subscription.core;
    if !matches!(
        core.status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing
    ) {
        return None;
    }
    let prices = &subscription.prices;
    let seat_price = prices.iter().find_map(|price| match price {
        ProductPrice::SeatBased(seat) => Some(seat),
        ProductPrice::Fixed(_) => None,
    })?;
    let fixed = prices.iter().find_map(|price| match price {
        ProductPrice::Fixed(fixed) => Some(fixed.price_amount),
        ProductPrice::SeatBased(_) => None,
    });
    Some(SeatTerms {
        currency: core.currency.clone(),
        recurring_interval: core.recurring_interval,
        tier_type: seat_price.seat_tiers.seat_tier_type,
        tiers: seat_price.seat_tiers.tiers.clone(),
        fixed,
        seats: core.seats,
        cancel_at_period_end: core.cancel_at_period_end,
    })
}

fn order_row(order: &CustomerOrder) -> PortalOrder {
    let core = &order.core;
    PortalOrder {
        created_at: core.created_at,
        reason: match core.billing_reason {
            BillingReason::Purchase => "Purchase",
            BillingReason::SubscriptionCreate => "Subscription start",
            BillingReason::SubscriptionCycle => "Renewal",
            BillingReason::SubscriptionUpdate => "Seat change",
        }
        .into(),
        seats: core.seats,
        total: core.currency.format(core.total_amount),
    }
}

fn history_row(entry: &SeatAuditEntry) -> PortalHistoryEntry {
    PortalHistoryEntry {
        at: entry.created_at,
        email: entry.email.clone(),
        action: match entry.action {
            SeatAction::Assigned => "Invited",
            SeatAction::Claimed => "Claimed",
            SeatAction::Resent => "Invitation resent",
            SeatAction::Revoked => "Revoked",
            SeatAction::Transferred => "Reassigned",
        }
        .into(),
        to: entry.to_email.clone(),
        by: match entry.actor_type {
            ActorType::Organization => "by the merchant",
            ActorType::Customer => "by the billing manager",
            ActorType::Member => "by the member",
            ActorType::System => "by Seatkeeper",
        }
        .into(),
    }
}

fn order_pool(
    order: &CustomerOrder,
    list: SeatsList,
    now: chrono::DateTime<chrono::Utc>,
) -> PortalPool {
    PortalPool {
        subscription_id: None,
        order_id: Some(order.core.id),
        product_name: order.product.product.name.clone(),
        state: PoolState::OneTime,
        total_seats: list.total_seats,
        available_seats: list.available_seats,
        scheduled_seats: None,
        seats: list.seats.iter().map(|s| PortalSeat::of(s, now)).collect(),
        terms: None,
        orders: vec![order_row(order)],
        history: Vec::new(),
        history_total: 0,
    }
}
