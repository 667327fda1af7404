"""The official Polar SDK changes subscriptions: seat counts now and for the renewal
(`subscriptions.update`), cancellation at the period's end and its undoing, revocation now
(`subscriptions.revoke`), and the customer portal's `subscriptions.update` / `cancel`. Every answer
parses as the SDK's `Subscription` / `CustomerSubscription`, every refusal as its typed error."""

import json
import urllib.request
import uuid

import pytest
from polar.v2026_10 import Polar, errors
from polar.v2026_10.outputs import CustomerSubscription, PendingSubscriptionUpdate, Subscription


@pytest.fixture
def polar(server):
    org = server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _subscription(polar, seats, token="tok_visa"):
    product = polar.products.create(
        name="Team",
        recurring_interval="month",
        prices=[
            {
                "amount_type": "seat_based",
                "seat_tiers": {
                    "seat_tier_type": "volume",
                    "tiers": [
                        {"min_seats": 1, "max_seats": 5, "price_per_seat": 1000},
                        {"min_seats": 6, "max_seats": 10, "price_per_seat": 800},
                    ],
                },
            }
        ],
    )
    checkout = polar.checkouts.create(products=[product.id], seats=seats, customer_email="billing@acme.example")
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id=token)
    return polar.checkouts.get(checkout.id).subscription_id


def test_the_sdk_changes_seats_now_and_for_the_renewal(polar):
    subscription_id = _subscription(polar, 3)
    grown = polar.subscriptions.update(subscription_id, seats=8, proration_behavior="prorate")
    assert isinstance(grown, Subscription)
    assert (grown.seats, grown.amount, grown.pending_update) == (8, 6400, None)

    scheduled = polar.subscriptions.update(subscription_id, seats=4, proration_behavior="next_period")
    assert scheduled.seats == 8
    assert isinstance(scheduled.pending_update, PendingSubscriptionUpdate)
    assert scheduled.pending_update.seats == 4
    assert scheduled.pending_update.product_id is None
    assert scheduled.pending_update.applies_at == scheduled.current_period_end

    cleared = polar.subscriptions.update(subscription_id, pending_update=None)
    assert cleared.pending_update is None and cleared.seats == 8


def test_seat_rules_reach_the_sdk_as_client_errors_and_change_nothing(polar):
    subscription_id = _subscription(polar, 4)
    for email in ("a@acme.example", "b@acme.example", "c@acme.example"):
        polar.customer_seats.assign_seat(subscription_id=subscription_id, email=email)
    with pytest.raises(errors.PolarClientError) as assigned:
        polar.subscriptions.update(subscription_id, seats=2, proration_behavior="prorate")
    assert assigned.value.status_code == 400
    body = json.loads(assigned.value.error)
    assert body["error"] == "SeatsAlreadyAssigned"
    assert "Currently 3 seats are assigned" in body["detail"]
    with pytest.raises(errors.PolarClientError) as too_many:
        polar.subscriptions.update(subscription_id, seats=11)
    assert too_many.value.status_code == 400
    assert json.loads(too_many.value.error)["error"] == "AboveMaximumSeats"
    with pytest.raises(errors.HTTPValidationError):
        polar.subscriptions.update(subscription_id, seats=5, cancel_at_period_end=True)
    assert polar.subscriptions.get(subscription_id).seats == 4


def test_an_invoiced_change_is_a_paid_order_and_a_declined_one_a_typed_402(polar):
    subscription_id = _subscription(polar, 3)
    grown = polar.subscriptions.update(subscription_id, seats=4, proration_behavior="invoice")
    assert grown.seats == 4
    orders = polar.orders.list(subscription_id=subscription_id, sorting=["created_at"]).items
    assert [o.billing_reason for o in orders] == ["subscription_create", "subscription_update"]
    assert orders[1].status == "paid" and orders[1].items[0].proration and orders[1].total_amount > 0

    declining = _subscription(polar, 3, token="tok_visa_renewal_declined")
    with pytest.raises(errors.SubscriptionsUpdate402Error) as unpaid:
        polar.subscriptions.update(declining, seats=5, proration_behavior="invoice")
    assert unpaid.value.error.error == "PaymentFailed"
    assert polar.subscriptions.get(declining).seats == 3


def test_the_sdk_cancels_at_period_end_takes_it_back_and_revokes(polar):
    subscription_id = _subscription(polar, 2)
    polar.customer_seats.assign_seat(subscription_id=subscription_id, email="jane@acme.example")
    cancelled = polar.subscriptions.update(
        subscription_id,
        cancel_at_period_end=True,
        customer_cancellation_reason="too_expensive",
        customer_cancellation_comment="Budget cuts",
    )
    assert cancelled.cancel_at_period_end and cancelled.status == "active"
    assert cancelled.ends_at == cancelled.current_period_end
    assert cancelled.customer_cancellation_reason == "too_expensive"
    with pytest.raises(errors.SubscriptionsUpdate403Error) as locked:
        polar.subscriptions.update(subscription_id, seats=3)
    assert locked.value.error.error == "AlreadyCanceledSubscription"

    restored = polar.subscriptions.update(subscription_id, cancel_at_period_end=False)
    assert not restored.cancel_at_period_end and restored.ends_at is None and restored.canceled_at is None
    with pytest.raises(errors.SubscriptionsUpdate409Error) as not_cancelling:
        polar.subscriptions.update(subscription_id, cancel_at_period_end=False)
    assert not_cancelling.value.error.error == "SubscriptionNotScheduledToCancel"

    ended = polar.subscriptions.revoke(subscription_id)
    assert isinstance(ended, Subscription)
    assert ended.status == "canceled" and ended.ended_at is not None
    seats = polar.customer_seats.list_seats(subscription_id=subscription_id)
    assert [s.status for s in seats.seats] == ["revoked"]
    with pytest.raises(errors.AlreadyCanceledSubscription):
        polar.subscriptions.revoke(subscription_id)


def test_the_portal_grows_and_cancels_a_subscription_through_the_sdk(server, polar):
    subscription_id = _subscription(polar, 2)
    customer_id = polar.subscriptions.get(subscription_id).customer_id
    session = polar.customer_sessions.create(customer_id=customer_id)
    portal = Polar(session.token, base_url=server.base_url, timeout=30).customer_portal

    grown = portal.subscriptions.update(subscription_id, seats=3)
    assert isinstance(grown, CustomerSubscription) and grown.seats == 3
    cancelled = portal.subscriptions.cancel(subscription_id)
    assert isinstance(cancelled, CustomerSubscription)
    assert cancelled.cancel_at_period_end and cancelled.status == "active"
    with pytest.raises(errors.CustomerPortalSubscriptionsUpdate403Error) as locked:
        portal.subscriptions.update(subscription_id, seats=4)
    assert locked.value.error.error == "AlreadyCanceledSubscription"
    restored = portal.subscriptions.update(subscription_id, cancel_at_period_end=False)
    assert not restored.cancel_at_period_end


def _advance(server, token, to):
    request = urllib.request.Request(
        f"{server.base_url}/v1/test-clock/advance",
        data=json.dumps({"to": to}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_renewals_reach_the_sdk_as_cycle_orders_and_new_periods(clock_server):
    org = clock_server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    polar = Polar(org["access_token"], base_url=clock_server.base_url, timeout=30)
    subscription_id = _subscription(polar, 3)
    _advance(clock_server, org["access_token"], "2027-01-16T00:00:00Z")
    polar.subscriptions.update(subscription_id, seats=8, proration_behavior="prorate")
    _advance(clock_server, org["access_token"], "2027-02-01T00:00:00Z")

    renewed = polar.subscriptions.get(subscription_id)
    assert (renewed.seats, renewed.current_period_end[:10]) == (8, "2027-03-01")
    orders = polar.orders.list(subscription_id=subscription_id, sorting=["created_at"]).items
    assert [(o.billing_reason, o.total_amount) for o in orders] == [
        ("subscription_create", 3000),
        ("subscription_cycle", 6400 + 1754),
    ]
    assert [item.proration for item in orders[1].items] == [False, True]

    polar.subscriptions.update(subscription_id, cancel_at_period_end=True)
    _advance(clock_server, org["access_token"], "2027-03-01T00:00:00Z")
    ended = polar.subscriptions.get(subscription_id)
    assert ended.status == "canceled" and ended.ended_at is not None
