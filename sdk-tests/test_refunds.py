"""The official Polar SDK refunds orders (`refunds.create`, `refunds.list`): partial and full
refunds parse as its `Refund`, a wholly refunded order answers its typed `RefundedAlready`, and the
order's status and amounts follow."""

import uuid

import pytest
from polar.v2026_10 import Polar, errors
from polar.v2026_10.outputs import ListResourceRefund, Refund


@pytest.fixture
def polar(server):
    org = server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _one_time_order(polar, seats):
    product = polar.products.create(
        name="Seat pack",
        prices=[{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}],
    )
    checkout = polar.checkouts.create(products=[product.id], seats=seats, customer_email="billing@acme.example")
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    [order] = polar.orders.list(checkout_id=checkout.id).items
    return order.id


def test_the_sdk_refunds_an_order_in_two_parts(polar):
    order_id = _one_time_order(polar, 3)
    subscription_id = None
    first = polar.refunds.create(order_id=order_id, reason="customer_request", amount=1000, comment="one seat unused")
    assert isinstance(first, Refund)
    assert (first.status, first.amount, first.order_id, first.subscription_id) == ("succeeded", 1000, order_id, subscription_id)
    partly = polar.orders.get(order_id)
    assert (partly.status, partly.refunded_amount, partly.refundable_amount) == ("partially_refunded", 1000, 2000)
    assert [o.id for o in polar.orders.list(status="partially_refunded").items] == [order_id]

    polar.refunds.create(order_id=order_id, reason="customer_request", amount=2000)
    assert polar.orders.get(order_id).status == "refunded"
    with pytest.raises(errors.RefundedAlready):
        polar.refunds.create(order_id=order_id, reason="other", amount=1)

    page = polar.refunds.list(order_id=order_id, succeeded=True, sorting=["amount"])
    assert isinstance(page, ListResourceRefund)
    assert [r.amount for r in page.items] == [1000, 2000]
    assert polar.refunds.list(succeeded=False).items == []


def test_a_refund_beyond_the_order_is_a_validation_error_for_the_sdk(polar):
    order_id = _one_time_order(polar, 1)
    with pytest.raises(errors.HTTPValidationError):
        polar.refunds.create(order_id=order_id, reason="customer_request", amount=1001)
    assert polar.orders.get(order_id).refunded_amount == 0
