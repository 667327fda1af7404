"""The SDK-driven purchase flows: product → checkout → confirm → subscription or order."""

import uuid

import pytest
from polar.v2026_10 import Polar, errors


@pytest.fixture
def polar(server):
    org = server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


SEAT_PRICE = {
    "amount_type": "seat_based",
    "seat_tiers": {"tiers": [
        {"min_seats": 1, "max_seats": 4, "price_per_seat": 1000},
        {"min_seats": 5, "max_seats": 9, "price_per_seat": 900},
        {"min_seats": 10, "price_per_seat": 800},
    ]},
}


def test_a_recurring_checkout_with_five_seats_becomes_a_subscription(polar):
    product = polar.products.create(name="Team", recurring_interval="month", prices=[SEAT_PRICE])
    customer = polar.customers.create(email="billing@acme.example", name="Acme")
    checkout = polar.checkouts.create(products=[product.id], seats=5, customer_id=customer.id)
    assert checkout.amount == 4500 and checkout.seats == 5
    public = polar.checkouts.client_get(checkout.client_secret)
    assert public.organization.slug
    paid = polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    assert paid.status == "confirmed"
    assert paid.customer_session_token.startswith("skp_cst_")
    fulfilled = polar.checkouts.client_get(checkout.client_secret)
    assert fulfilled.status == "succeeded"
    subscription = polar.subscriptions.get(polar.checkouts.get(checkout.id).subscription_id)
    assert subscription.seats == 5
    assert subscription.amount == 4500
    assert subscription.status == "active"
    assert subscription.customer.type == "team"
    orders = polar.orders.list(customer_id=customer.id)
    assert [o.billing_reason for o in orders.items] == ["subscription_create"]


def test_a_one_time_checkout_becomes_a_paid_order_with_seats(polar):
    product = polar.products.create(name="Lifetime", prices=[SEAT_PRICE])
    checkout = polar.checkouts.create(products=[product.id], seats=10)
    updated = polar.checkouts.client_update(checkout.client_secret, seats=12)
    assert updated.amount == 12 * 800
    paid = polar.checkouts.client_confirm(
        checkout.client_secret, confirmation_token_id="tok_visa", customer_email="buyer@example.com"
    )
    assert paid.status == "confirmed"
    [order] = polar.orders.list().items
    assert order.billing_reason == "purchase"
    assert order.status == "paid"
    assert order.seats == 12


def test_a_declined_payment_is_an_error_and_creates_nothing(polar):
    product = polar.products.create(name="Team", recurring_interval="year", prices=[SEAT_PRICE])
    checkout = polar.checkouts.create(products=[product.id], seats=2, customer_email="buyer@example.com")
    with pytest.raises(errors.PaymentError) as declined:
        polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_chargeDeclined")
    assert declined.value.status_code == 400
    assert "declined" in declined.value.error.detail
    assert polar.subscriptions.list().pagination.total_count == 0
    assert polar.orders.list().pagination.total_count == 0
