//! Changing a subscription after its purchase, for the merchant (`PATCH`/`DELETE
//! /v1/subscriptions/{id}`) and for the customer's billing manager (the portal's subscription API):
//! its seat count, its cancellation at the period's end, its end now, and dropping a change
//! scheduled for the renewal.
//!
//! What a seat change does and costs is decided by `domain::seat_changes` (the same function answers
//! a preview); this module reads the subscription, writes the plan with one conditional update
//! (`SubscriptionStore`), and plans again when the subscription changed in between (an assignment,
//! another change).
//!
//! Errors as Polar names them: a subscription that has ended or is set to cancel is 403
//! `AlreadyCanceledSubscription`; seat counts out of range or below the seats given out are 400
//! `BelowMinimumSeats`, `AboveMaximumSeats`, `SeatsAlreadyAssigned`.

use crate::{
    domain::seat_changes::{
        BillingPeriod, CurrentSeats, SeatChange, SeatChangeError, Settlement, Standing,
        plan_seat_change,
    },
    model::{
        MinorUnits, Scope, SubscriptionId,
        billing::{CustomerSubscription, Subscription, SubscriptionStatus},
        organization::ProrationBehavior,
        subscription_update::{
            CustomerCancellationReason, CustomerSubscriptionUpdate, SeatChangePreview,
            SeatChangePreviewRequest, SubscriptionUpdate,
        },
    },
    server::store::{
        BillingEntryRecord, CancellationWrite, PriceKind, ScheduledSeats, SeatCountTarget,
        SeatCountWrite, StoreError, SubscriptionEndWrite, SubscriptionRecord,
    },
};

use super::{OrganizationCaller, PortalCaller, SeatCaller, ServiceError, Services};

/// How a subscription ends (see [`Services::end_with`]).
pub(super) struct EndPlan {
    pub reason: Option<CustomerCancellationReason>,
    pub comment: Option<String>,
    /// Now, or the end of its last period.
    pub ended_at: chrono::DateTime<chrono::Utc>,
    /// The scheduler's ends apply only to the version they were planned from.
    pub version: Option<i64>,
    /// The last order (prorations not billed yet) and the entries it bills.
    pub final_order: Option<crate::server::store::OrderRecord>,
    pub billed: Vec<uuid::Uuid>,
    /// Whether to tell `subscription.canceled` (a revocation, or an end for lack of payment); a
    /// subscription that reaches the end it was cancelled for was announced canceled already.
    pub announce_cancel: bool,
    pub extra_events: Vec<crate::server::store::NewEvent>,
    pub emails: Vec<crate::server::store::NewEmail>,
}

/// How many times a change is planned again when the subscription changed under it.
const ATTEMPTS: usize = 5;

/// The longest cancellation comment kept.
const MAX_COMMENT_CHARS: usize = 1000;

/// What a request asks of a subscription.
#[derive(Clone, Debug, PartialEq)]
enum Requested {
    /// A new seat count, billed as `behavior` says (the organization's default when `None`).
    Seats {
        seats: u32,
        behavior: Option<ProrationBehavior>,
    },
    /// Cancel at the period's end (`cancel`), or take that back.
    Cancellation {
        cancel: bool,
        reason: Option<CustomerCancellationReason>,
        comment: Option<String>,
    },
    /// End it now.
    Revoke {
        reason: Option<CustomerCancellationReason>,
        comment: Option<String>,
    },
    /// Drop the change scheduled for the renewal.
    ClearScheduled,
    /// Nothing to change.
    Nothing,
}

/// The keys of a body that name a change of their own; a body gives at most one.
fn one_change(given: &[(&'static str, bool)]) -> Result<(), ServiceError> {
    let named: Vec<&str> = given
        .iter()
        .filter(|(_, present)| *present)
        .map(|(key, _)| *key)
        .collect();
    if named.len() > 1 {
        return Err(ServiceError::invalid_field(
            named[1],
            format!(
                "one change per request: `{}` and `{}` cannot be sent together",
                named[0], named[1]
            ),
        ));
    }
    Ok(())
}

/// Refuses Polar's keys for things Seatkeeper has none of (a product change, discounts, trials,
/// billing-period moves, pauses, units) when given a value.
fn refuse_unsupported(
    keys: &[(&'static str, &Option<serde_json::Value>)],
) -> Result<(), ServiceError> {
    for (key, value) in keys {
        if value.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(ServiceError::invalid_field(
                key,
                format!(
                    "`{key}` cannot be changed here: Seatkeeper subscriptions change only their seats and their cancellation"
                ),
            ));
        }
    }
    Ok(())
}

/// A comment, trimmed and bounded; empty is none.
fn comment(field: &str, text: Option<String>) -> Result<Option<String>, ServiceError> {
    let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(ServiceError::invalid_field(
            field,
            format!("at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ServiceError::invalid_field(
            field,
            "control characters are not allowed",
        ));
    }
    Ok(Some(text))
}

fn seats_at_least_one(seats: u32) -> Result<u32, ServiceError> {
    if seats == 0 {
        return Err(ServiceError::invalid_field(
            "seats",
            "must be greater than or equal to 1",
        ));
    }
    Ok(seats)
}

/// `{"pending_update": ...}` must be `null`.
fn clear_scheduled(value: &serde_json::Value) -> Result<Requested, ServiceError> {
    if !value.is_null() {
        return Err(ServiceError::invalid_field(
            "pending_update",
            "only `null` is accepted: it drops the change scheduled for the renewal",
        ));
    }
    Ok(Requested::ClearScheduled)
}

/// What a merchant's body asks.
fn merchant_request(
    body: SubscriptionUpdate,
) -> Result<(Requested, Option<crate::model::metadata::Metadata>), ServiceError> {
    refuse_unsupported(&[
        ("product_id", &body.product_id),
        ("discount_id", &body.discount_id),
        ("trial_end", &body.trial_end),
        (
            "current_billing_period_end",
            &body.current_billing_period_end,
        ),
        ("pause_at_period_end", &body.pause_at_period_end),
        ("resumes_at", &body.resumes_at),
        ("resume", &body.resume),
        ("units", &body.units),
    ])?;
    one_change(&[
        ("seats", body.seats.is_some()),
        ("cancel_at_period_end", body.cancel_at_period_end.is_some()),
        ("revoke", body.revoke.is_some()),
        ("pending_update", body.pending_update.is_some()),
        ("metadata", body.metadata.is_some()),
    ])?;
    let cancelling = body.cancel_at_period_end.is_some() || body.revoke.is_some();
    if !cancelling {
        for (key, given) in [
            (
                "customer_cancellation_reason",
                body.customer_cancellation_reason.is_some(),
            ),
            (
                "customer_cancellation_comment",
                body.customer_cancellation_comment.is_some(),
            ),
        ] {
            if given {
                return Err(ServiceError::invalid_field(
                    key,
                    "only with `cancel_at_period_end` or `revoke`",
                ));
            }
        }
    }
    if body.proration_behavior.is_some() && (cancelling || body.pending_update.is_some()) {
        return Err(ServiceError::invalid_field(
            "proration_behavior",
            "only with `seats`",
        ));
    }
    let reason = body.customer_cancellation_reason;
    let requested = if let Some(seats) = body.seats {
        Requested::Seats {
            seats: seats_at_least_one(seats)?,
            behavior: body.proration_behavior,
        }
    } else if let Some(cancel) = body.cancel_at_period_end {
        Requested::Cancellation {
            cancel,
            reason,
            comment: comment(
                "customer_cancellation_comment",
                body.customer_cancellation_comment,
            )?,
        }
    } else if let Some(revoke) = body.revoke {
        if !revoke {
            return Err(ServiceError::invalid_field(
                "revoke",
                "only `true` is accepted: it ends the subscription now",
            ));
        }
        Requested::Revoke {
            reason,
            comment: comment(
                "customer_cancellation_comment",
                body.customer_cancellation_comment,
            )?,
        }
    } else if let Some(value) = &body.pending_update {
        clear_scheduled(value)?
    } else {
        Requested::Nothing
    };
    Ok((requested, body.metadata))
}

/// What a billing manager's body asks in the portal.
fn portal_request(body: CustomerSubscriptionUpdate) -> Result<Requested, ServiceError> {
    refuse_unsupported(&[
        ("product_id", &body.product_id),
        ("pause_at_period_end", &body.pause_at_period_end),
        ("resumes_at", &body.resumes_at),
        ("resume", &body.resume),
    ])?;
    let cancellation = body.cancel_at_period_end.is_some()
        || body.cancellation_reason.is_some()
        || body.cancellation_comment.is_some();
    one_change(&[
        ("seats", body.seats.is_some()),
        ("cancel_at_period_end", cancellation),
        ("pending_update", body.pending_update.is_some()),
    ])?;
    if let Some(seats) = body.seats {
        return Ok(Requested::Seats {
            seats: seats_at_least_one(seats)?,
            behavior: None,
        });
    }
    if let Some(value) = &body.pending_update {
        return clear_scheduled(value);
    }
    Ok(match body.cancel_at_period_end {
        Some(cancel) => Requested::Cancellation {
            cancel,
            reason: body.cancellation_reason,
            comment: comment("cancellation_comment", body.cancellation_comment)?,
        },
        // Polar's portal answers a cancellation body without `cancel_at_period_end` unchanged.
        None => Requested::Nothing,
    })
}

pub(super) fn already_canceled() -> ServiceError {
    ServiceError::refused(
        "AlreadyCanceledSubscription",
        "This subscription is already canceled or will be at the end of the period.",
    )
}

fn seat_change_error(err: SeatChangeError) -> ServiceError {
    let detail = err.to_string();
    match err {
        SeatChangeError::Ended | SeatChangeError::Cancelling => already_canceled(),
        SeatChangeError::BelowMinimum { .. } => ServiceError::rejected("BelowMinimumSeats", detail),
        SeatChangeError::AboveMaximum { .. } => ServiceError::rejected("AboveMaximumSeats", detail),
        SeatChangeError::AlreadyAssigned { .. } => {
            ServiceError::rejected("SeatsAlreadyAssigned", detail)
        }
        SeatChangeError::Overflow => ServiceError::invalid_field("seats", detail),
    }
}

/// Where a subscription stands for a change.
fn standing(record: &SubscriptionRecord) -> Standing {
    let live = matches!(
        record.status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing
    ) && record.ended_at.is_none();
    match (live, record.cancel_at_period_end) {
        (false, _) => Standing::Ended,
        (true, true) => Standing::Cancelling,
        (true, false) => Standing::Renewing,
    }
}

/// Whether a cancellation may still be set or taken back (Polar's billable statuses).
fn may_cancel(record: &SubscriptionRecord) -> bool {
    matches!(
        record.status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
    ) && record.ended_at.is_none()
}

impl Services {
    /// `PATCH /v1/subscriptions/{id}`: the change the body asks for (see [`SubscriptionUpdate`]).
    #[tracing::instrument(skip_all, fields(subscription_id = %id), err(level = "info"))]
    pub async fn update_subscription(
        &self,
        caller: &OrganizationCaller,
        id: SubscriptionId,
        body: SubscriptionUpdate,
    ) -> Result<Subscription, ServiceError> {
        caller.require_any(&[Scope::SubscriptionsWrite])?;
        let (requested, metadata) = merchant_request(body)?;
        if let Some(metadata) = metadata {
            if let Err(msg) = metadata.validate() {
                return Err(ServiceError::invalid_field("metadata", msg));
            }
            let record = self
                .change_subscription_metadata(caller.organization_id, id, metadata)
                .await?;
            return self.subscription_out(caller.organization_id, &record).await;
        }
        let system = SeatCaller::Organization(caller.clone());
        let record = self.change_subscription(&system, id, requested).await?;
        self.subscription_out(caller.organization_id, &record).await
    }

    /// `DELETE /v1/subscriptions/{id}` (the SDK's `subscriptions.revoke`): ends it now.
    #[tracing::instrument(skip_all, fields(subscription_id = %id), err(level = "info"))]
    pub async fn revoke_subscription(
        &self,
        caller: &OrganizationCaller,
        id: SubscriptionId,
    ) -> Result<Subscription, ServiceError> {
        caller.require_any(&[Scope::SubscriptionsWrite])?;
        let requested = Requested::Revoke {
            reason: None,
            comment: None,
        };
        let system = SeatCaller::Organization(caller.clone());
        let record = self.change_subscription(&system, id, requested).await?;
        self.subscription_out(caller.organization_id, &record).await
    }

    /// `PATCH /v1/customer-portal/subscriptions/{id}`: the owner or a billing manager changes the
    /// seat count (billed as the organization's default says) or the cancellation.
    #[tracing::instrument(skip_all, fields(subscription_id = %id), err(level = "info"))]
    pub async fn portal_update_subscription(
        &self,
        caller: &PortalCaller,
        id: SubscriptionId,
        body: CustomerSubscriptionUpdate,
    ) -> Result<CustomerSubscription, ServiceError> {
        let requested = portal_request(body)?;
        let portal = SeatCaller::Portal(caller.clone());
        self.portal_subscription(caller, id).await?;
        portal.require_write()?;
        self.change_subscription(&portal, id, requested).await?;
        self.portal_subscription(caller, id).await
    }

    /// `DELETE /v1/customer-portal/subscriptions/{id}`: cancels at the period's end.
    #[tracing::instrument(skip_all, fields(subscription_id = %id), err(level = "info"))]
    pub async fn portal_cancel_subscription(
        &self,
        caller: &PortalCaller,
        id: SubscriptionId,
    ) -> Result<CustomerSubscription, ServiceError> {
        let requested = Requested::Cancellation {
            cancel: true,
            reason: None,
            comment: None,
        };
        let portal = SeatCaller::Portal(caller.clone());
        self.portal_subscription(caller, id).await?;
        portal.require_write()?;
        self.change_subscription(&portal, id, requested).await?;
        self.portal_subscription(caller, id).await
    }

    /// The subscription `id` as `caller` may change it: any of the organization's for the merchant,
    /// only its own customer's in the portal (another's is 404).
    async fn subscription_for(
        &self,
        caller: &SeatCaller,
        id: SubscriptionId,
    ) -> Result<SubscriptionRecord, ServiceError> {
        self.store()
            .subscription(caller.organization_id(), id)
            .await?
            .filter(|record| caller.may_see_customer(record.customer_id))
            .ok_or_else(|| ServiceError::not_found("Subscription"))
    }

    /// Applies `requested`, planning it again (up to [`ATTEMPTS`] times) when the subscription
    /// changed between its read and its write. Answers the subscription as it then is.
    async fn change_subscription(
        &self,
        caller: &SeatCaller,
        id: SubscriptionId,
        requested: Requested,
    ) -> Result<SubscriptionRecord, ServiceError> {
        for _ in 0..ATTEMPTS {
            let record = self.subscription_for(caller, id).await?;
            let outcome = match &requested {
                Requested::Nothing => return Ok(record),
                Requested::Seats { seats, behavior } => {
                    self.change_seats(caller, record, *seats, *behavior).await
                }
                Requested::Cancellation {
                    cancel,
                    reason,
                    comment,
                } => {
                    self.change_cancellation(record, *cancel, *reason, comment.clone())
                        .await
                }
                Requested::Revoke { reason, comment } => {
                    self.end_subscription(caller, record, *reason, comment.clone())
                        .await
                }
                Requested::ClearScheduled => self.drop_scheduled(record).await,
            };
            match outcome {
                Ok(Some(record)) => return Ok(record),
                Ok(None) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(ServiceError::Conflict {
            error: "SubscriptionLocked",
            detail: "this subscription is being changed by other requests right now; retry".into(),
        })
    }

    /// A write's outcome: the changed subscription, or None when it changed under the write.
    pub(super) fn written(
        outcome: Result<(), StoreError>,
        record: SubscriptionRecord,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        match outcome {
            Ok(()) => Ok(Some(record)),
            Err(StoreError::Stale(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The seat tiers of a subscription's price (kept even when the product's prices were
    /// replaced since it was bought).
    pub(super) async fn tiers_of(
        &self,
        record: &SubscriptionRecord,
    ) -> Result<crate::domain::pricing::SeatTiers, ServiceError> {
        match self.store().price(record.price_id).await?.map(|p| p.kind) {
            Some(PriceKind::SeatBased(tiers)) => Ok(tiers),
            _ => Err(ServiceError::rejected(
                "NotASeatBasedSubscription",
                "This subscription does not support seat-based pricing.",
            )),
        }
    }

    async fn change_seats(
        &self,
        caller: &SeatCaller,
        record: SubscriptionRecord,
        requested: u32,
        behavior: Option<ProrationBehavior>,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        let now = self.now();
        let (change, seat_charge) = self
            .plan_for(caller, &record, requested, behavior, now)
            .await?;
        let mut changed = record.clone();
        changed.modified_at = Some(now);
        let target = match change {
            SeatChange::Unchanged { drops_scheduled } => {
                if !drops_scheduled {
                    // Nothing to do and nothing to tell.
                    return Ok(Some(record));
                }
                changed.changes.clear_scheduled();
                SeatCountTarget::DropScheduled
            }
            SeatChange::Now {
                seats,
                seat_charge: new_charge,
                proration,
                settlement,
            } => {
                // The fixed part of the price, if any, stays as it was.
                let amount = crate::model::MinorUnits(
                    record.amount.get() - seat_charge.get() + new_charge.get(),
                );
                changed.seats = seats;
                changed.amount = amount;
                changed.changes.clear_scheduled();
                let proration = (proration.get() != 0).then(|| BillingEntryRecord {
                    id: uuid::Uuid::now_v7(),
                    organization_id: record.organization_id,
                    subscription_id: record.id,
                    created_at: now,
                    amount: proration,
                    currency: record.currency.clone(),
                    seats_from: record.seats,
                    seats_to: seats,
                    period_start: now,
                    period_end: record.current_period_end,
                });
                let target = SeatCountTarget::Now {
                    seats,
                    amount,
                    proration,
                };
                if settlement == Settlement::ChargeNow {
                    return self.invoiced_change(&record, changed, target).await;
                }
                target
            }
            SeatChange::AtRenewal { seats, .. } => {
                let scheduled = ScheduledSeats {
                    id: uuid::Uuid::now_v7(),
                    created_at: now,
                    seats,
                };
                changed.changes.schedule(scheduled);
                SeatCountTarget::AtRenewal(scheduled)
            }
        };
        let events = vec![
            self.subscription_event(&changed, "subscription.updated")
                .await?,
        ];
        let write = SeatCountWrite {
            subscription_id: record.id,
            now,
            from_seats: record.seats,
            target,
            events,
        };
        Self::written(self.store().change_seat_count(&write).await, changed)
    }

    /// What changing `record` to `requested` seats at `now` does (the one planning of both the
    /// change and its preview), and what its current count costs per period.
    async fn plan_for(
        &self,
        caller: &SeatCaller,
        record: &SubscriptionRecord,
        requested: u32,
        behavior: Option<ProrationBehavior>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(SeatChange, crate::model::MinorUnits), ServiceError> {
        if record.status == SubscriptionStatus::PastDue {
            return Err(ServiceError::refused(
                "InactiveSubscription",
                format!("Subscription {} is not active.", record.id),
            ));
        }
        let tiers = self.tiers_of(record).await?;
        let behavior = match (caller, behavior) {
            (_, Some(behavior)) => behavior,
            // In the portal, added seats apply now (prorated to the renewal) and removed ones at the
            // renewal.
            (SeatCaller::Portal(_), None) if requested > record.seats => ProrationBehavior::Prorate,
            (SeatCaller::Portal(_), None) => ProrationBehavior::NextPeriod,
            (_, None) => {
                self.store()
                    .organization(caller.organization_id())
                    .await?
                    .ok_or_else(|| ServiceError::not_found("Organization"))?
                    .proration_behavior
            }
        };
        let seat_charge = tiers
            .amount_for(record.seats)
            .map_err(|e| seat_change_error(e.into()))?;
        let current = CurrentSeats {
            standing: standing(record),
            seats: record.seats,
            seat_charge,
            assigned: record.changes.used_seats,
            scheduled: record.changes.scheduled().map(|s| s.seats),
            period: BillingPeriod {
                start: record.current_period_start,
                end: record.current_period_end,
            },
        };
        let change = plan_seat_change(&tiers, current, requested, behavior, now)
            .map_err(seat_change_error)?;
        Ok((change, seat_charge))
    }

    /// What a seat change would do, computed exactly as the change itself: nothing is written.
    pub async fn preview_seat_change(
        &self,
        caller: &SeatCaller,
        id: SubscriptionId,
        body: SeatChangePreviewRequest,
    ) -> Result<SeatChangePreview, ServiceError> {
        match caller {
            SeatCaller::Organization(c) => {
                c.require_any(&[Scope::SubscriptionsRead, Scope::SubscriptionsWrite])?;
            }
            SeatCaller::Portal(_) if body.proration_behavior.is_some() => {
                return Err(ServiceError::invalid_field(
                    "proration_behavior",
                    "the portal's changes are billed as the organization's default says",
                ));
            }
            SeatCaller::Portal(_) | SeatCaller::System(_) => {}
        }
        let seats = seats_at_least_one(body.seats)?;
        let record = self.subscription_for(caller, id).await?;
        let now = self.now();
        let (change, _) = self
            .plan_for(caller, &record, seats, body.proration_behavior, now)
            .await?;
        let unbilled = super::renewals::sum_of(&self.store().unbilled_entries(record.id).await?)?;
        let add = |a: MinorUnits, b: MinorUnits| {
            a.checked_add(b)
                .ok_or_else(|| ServiceError::invalid_field("seats", "the amount is too large"))
        };
        // The count now, the count scheduled for the renewal, what waits for the renewal, and
        // what is charged now: as the change and the renewal will do.
        let (seats_now, scheduled, waiting, proration, due_now, applies_at) = match change {
            SeatChange::Unchanged { .. } => (
                record.seats,
                None,
                unbilled,
                MinorUnits::ZERO,
                MinorUnits::ZERO,
                now,
            ),
            SeatChange::Now {
                seats,
                proration,
                settlement,
                ..
            } => {
                if settlement == Settlement::ChargeNow {
                    (seats, None, unbilled, proration, proration, now)
                } else {
                    (
                        seats,
                        None,
                        add(unbilled, proration)?,
                        proration,
                        MinorUnits::ZERO,
                        now,
                    )
                }
            }
            SeatChange::AtRenewal {
                seats, applies_at, ..
            } => (
                record.seats,
                Some(seats),
                unbilled,
                MinorUnits::ZERO,
                MinorUnits::ZERO,
                applies_at,
            ),
        };
        let bill = self
            .renewal_bill(&record, seats_now, scheduled, waiting)
            .await?;
        Ok(SeatChangePreview {
            seats: scheduled.unwrap_or(seats_now),
            applies_at,
            amount: bill.amount,
            proration_amount: proration,
            due_now,
            next_renewal_at: record.current_period_end,
            next_renewal_amount: bill.plan.total,
            currency: record.currency.clone(),
        })
    }

    async fn change_cancellation(
        &self,
        record: SubscriptionRecord,
        cancel: bool,
        reason: Option<CustomerCancellationReason>,
        comment: Option<String>,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        if !may_cancel(&record) {
            return Err(already_canceled());
        }
        if record.cancel_at_period_end == cancel {
            if cancel {
                return Err(already_canceled());
            }
            return Err(ServiceError::Conflict {
                error: "SubscriptionNotScheduledToCancel",
                detail: "This subscription is not scheduled to be canceled.".into(),
            });
        }
        let now = self.now();
        let reason: Option<String> = reason.map(|r| <&str>::from(r).to_owned());
        let mut changed = record.clone();
        changed.modified_at = Some(now);
        changed.cancel_at_period_end = cancel;
        changed.canceled_at = cancel.then_some(now);
        changed.changes.customer_cancellation_reason = reason.clone().filter(|_| cancel);
        changed.changes.customer_cancellation_comment = comment.clone().filter(|_| cancel);
        let second = if cancel {
            "subscription.canceled"
        } else {
            "subscription.uncanceled"
        };
        let events = vec![
            self.subscription_event(&changed, "subscription.updated")
                .await?,
            self.subscription_event(&changed, second).await?,
        ];
        let write = CancellationWrite {
            subscription_id: record.id,
            now,
            cancel,
            reason,
            comment,
            events,
        };
        Self::written(self.store().change_cancellation(&write).await, changed)
    }

    /// Ends `record` now (the merchant's revocation): canceled, its seats revoked.
    pub(super) async fn end_subscription(
        &self,
        caller: &SeatCaller,
        record: SubscriptionRecord,
        reason: Option<CustomerCancellationReason>,
        comment: Option<String>,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        let now = self.now();
        let plan = EndPlan {
            reason,
            comment,
            ended_at: now,
            version: None,
            final_order: None,
            billed: Vec::new(),
            announce_cancel: true,
            extra_events: Vec::new(),
            emails: Vec::new(),
        };
        self.end_with(caller, record, plan).await
    }

    /// Ends `record` as `plan` says; None when it changed meanwhile (nothing written).
    pub(super) async fn end_with(
        &self,
        caller: &SeatCaller,
        record: SubscriptionRecord,
        plan: EndPlan,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        if record.ended_at.is_some() || !may_cancel(&record) {
            return Err(already_canceled());
        }
        let now = self.now();
        let reason: Option<String> = plan.reason.map(|r| <&str>::from(r).to_owned());
        let mut changed = record.clone();
        changed.modified_at = Some(now);
        changed.status = SubscriptionStatus::Canceled;
        changed.canceled_at = record.canceled_at.or(Some(now));
        changed.ended_at = Some(plan.ended_at);
        changed.changes.clear_scheduled();
        changed.changes.retry_at = None;
        if reason.is_some() {
            changed.changes.customer_cancellation_reason = reason.clone();
        }
        if plan.comment.is_some() {
            changed.changes.customer_cancellation_comment = plan.comment.clone();
        }
        let revokes = self
            .revoke_pool_writes(
                caller,
                crate::model::seat::SeatPool::Subscription(record.id),
                record.customer_id,
            )
            .await?;
        let mut events = vec![
            self.subscription_event(&changed, "subscription.updated")
                .await?,
        ];
        if plan.announce_cancel {
            events.push(
                self.subscription_event(&changed, "subscription.canceled")
                    .await?,
            );
        }
        events.push(
            self.subscription_event(&changed, "subscription.revoked")
                .await?,
        );
        events.extend(plan.extra_events);
        let write = SubscriptionEndWrite {
            subscription_id: record.id,
            now,
            ended_at: plan.ended_at,
            version: plan.version,
            final_order: plan.final_order,
            billed: plan.billed,
            reason,
            comment: plan.comment,
            revokes,
            events,
            emails: plan.emails,
        };
        Self::written(self.store().end_subscription(&write).await, changed)
    }

    async fn drop_scheduled(
        &self,
        record: SubscriptionRecord,
    ) -> Result<Option<SubscriptionRecord>, ServiceError> {
        if record.changes.scheduled().is_none() {
            return Err(ServiceError::invalid_field(
                "pending_update",
                "This subscription has no pending update to clear.",
            ));
        }
        let now = self.now();
        let mut changed = record.clone();
        changed.modified_at = Some(now);
        changed.changes.clear_scheduled();
        let events = vec![
            self.subscription_event(&changed, "subscription.updated")
                .await?,
        ];
        let write = SeatCountWrite {
            subscription_id: record.id,
            now,
            from_seats: record.seats,
            target: SeatCountTarget::DropScheduled,
            events,
        };
        Self::written(self.store().change_seat_count(&write).await, changed)
    }

    /// An event of `kind` carrying the subscription as the API answers it.
    pub(super) async fn subscription_event(
        &self,
        record: &SubscriptionRecord,
        kind: &'static str,
    ) -> Result<crate::server::store::NewEvent, ServiceError> {
        let wire = self
            .subscription_out(record.organization_id, record)
            .await?;
        self.event(record.organization_id, kind, &wire)
    }

    async fn change_subscription_metadata(
        &self,
        organization_id: crate::model::OrganizationId,
        id: SubscriptionId,
        metadata: crate::model::metadata::Metadata,
    ) -> Result<SubscriptionRecord, ServiceError> {
        let record = self
            .store()
            .subscription(organization_id, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Subscription"))?;
        let now = self.now();
        let mut changed = record;
        changed.metadata = metadata;
        changed.modified_at = Some(now);
        let event = self
            .subscription_event(&changed, "subscription.updated")
            .await?;
        self.store()
            .change_subscription_metadata(id, &changed.metadata, now, &[event])
            .await?;
        Ok(changed)
    }
}
