"""The official Polar SDK assigns, lists and revokes seats of a subscription bought through a checkout."""

import uuid

import pytest
from polar.v2026_10 import Polar, errors


@pytest.fixture
def polar(server):
    org = server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _subscription(polar, seats):
    product = polar.products.create(
        name="Team",
        recurring_interval="month",
        prices=[{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}],
    )
    checkout = polar.checkouts.create(products=[product.id], seats=seats, customer_email="billing@acme.example")
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    return polar.checkouts.get(checkout.id).subscription_id


def test_the_sdk_assigns_lists_and_revokes_seats(polar):
    subscription_id = _subscription(polar, 2)
    seat = polar.customer_seats.assign_seat(subscription_id=subscription_id, email="jane@acme.example")
    assert seat.status == "pending"
    assert seat.member is not None and seat.member.email == "jane@acme.example"
    listed = polar.customer_seats.list_seats(subscription_id=subscription_id)
    assert listed.total_seats == 2 and listed.available_seats == 1
    assert [s.id for s in listed.seats] == [seat.id]
    revoked = polar.customer_seats.revoke_seat(seat.id)
    assert revoked.status == "revoked"
    assert polar.customer_seats.list_seats(subscription_id=subscription_id).available_seats == 2


def test_a_full_pool_is_a_client_error_for_the_sdk(polar):
    subscription_id = _subscription(polar, 1)
    polar.customer_seats.assign_seat(subscription_id=subscription_id, email="a@acme.example")
    with pytest.raises(errors.PolarClientError) as full:
        polar.customer_seats.assign_seat(subscription_id=subscription_id, email="b@acme.example")
    assert full.value.status_code == 400
