"""Every filter the official SDK sends filters, through the SDK's own list calls: a merchant's code
that asks for one customer's orders gets that customer's orders, never everyone's. An unsupported
filter is a 422 the SDK raises, never an unfiltered list."""

import uuid

import pytest
from polar.v2026_10 import Polar, errors


@pytest.fixture
def polar(server):
    org = server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


PRICE = {"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}


def buy(polar, product, email, external_id=None, metadata=None):
    checkout = polar.checkouts.create(
        products=[product.id], seats=2, customer_email=email,
        external_customer_id=external_id, metadata=metadata or {},
    )
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    return polar.checkouts.get(checkout.id)


def test_order_filters_filter_one_customers_orders(polar):
    monthly = polar.products.create(name="Team", recurring_interval="month", prices=[PRICE])
    lifetime = polar.products.create(name="Lifetime", prices=[PRICE])
    a = buy(polar, monthly, "a@example.com", "cust-a", {"plan": "pro"})
    b = buy(polar, monthly, "b@example.com", "cust-b")
    buy(polar, lifetime, "c@example.com")

    [only_a] = polar.orders.list(external_customer_id="cust-a").items
    assert only_a.customer_id == a.customer_id
    assert len(polar.orders.list(external_customer_id=["cust-a", "cust-b"]).items) == 2
    assert polar.orders.list(external_customer_id="nobody").items == []
    assert [o.checkout_id for o in polar.orders.list(checkout_id=b.id).items] == [b.id]
    assert [o.id for o in polar.orders.list(subscription_id=a.subscription_id).items] == [only_a.id]
    assert [o.product_id for o in polar.orders.list(product_billing_type="one_time").items] == [lifetime.id]
    assert len(polar.orders.list(status="paid").items) == 3
    assert polar.orders.list(status=["refunded", "void"]).items == []
    assert polar.orders.list(discount_id="summer").items == []
    assert len(polar.orders.list(metadata={"plan": "pro"}).items) == 1
    assert len(polar.orders.list(created_after="2000-01-01T00:00:00Z").items) == 3
    oldest = [o.id for o in polar.orders.list(sorting=["created_at"]).items]
    newest = [o.id for o in polar.orders.list(sorting=["-created_at"]).items]
    assert oldest == list(reversed(newest))
    with pytest.raises(errors.HTTPValidationError):
        polar.orders.list(sorting=["-customer"])


def test_subscription_checkout_and_grant_filters_filter(polar):
    monthly = polar.products.create(name="Team", recurring_interval="month", prices=[PRICE])
    a = buy(polar, monthly, "a@example.com", "cust-a")
    buy(polar, monthly, "b@example.com", "cust-b")
    [sub_a] = polar.subscriptions.list(external_customer_id="cust-a").items
    assert sub_a.id == a.subscription_id
    assert len(polar.subscriptions.list(active=True).items) == 2
    assert polar.subscriptions.list(active=False).items == []
    assert polar.subscriptions.list(cancel_at_period_end=True).items == []
    assert len(polar.subscriptions.list(status=["active", "trialing"], sorting=["-started_at"]).items) == 2
    assert polar.subscriptions.list(customer_cancellation_reason="too_expensive").items == []

    open_checkout = polar.checkouts.create(products=[monthly.id], customer_email="later@example.com")
    assert [c.id for c in polar.checkouts.list(status="open").items] == [open_checkout.id]
    assert len(polar.checkouts.list(status="succeeded").items) == 2
    assert [c.id for c in polar.checkouts.list(query="later@").items] == [open_checkout.id]
    assert len(polar.checkouts.list(external_customer_id="cust-b").items) == 1

    assert polar.benefit_grants.list(external_customer_id="cust-a", is_granted=True).items == []


def test_catalog_customer_and_member_filters_filter(polar):
    note = polar.benefits.create(type="custom", description="Onboarding call", properties={"note": "Book it"})
    keys = polar.benefits.create(type="license_keys", description="License key", properties={})
    product = polar.products.create(name="Team", recurring_interval="month", prices=[PRICE])
    polar.products.update_benefits(product.id, benefits=[keys.id])
    assert [p.id for p in polar.products.list(benefit_id=keys.id).items] == [product.id]
    assert polar.products.list(is_recurring=False).items == []
    assert polar.products.list(visibility="private").items == []
    assert [b.id for b in polar.benefits.list(type="custom").items] == [note.id]
    assert [b.id for b in polar.benefits.list(exclude_id=note.id).items] == [keys.id]

    buy(polar, product, "active@example.com")
    idle = polar.customers.create(email="idle@example.com", name="Idle", metadata={"tier": "gold"})
    assert [c.id for c in polar.customers.list(active=False).items] == [idle.id]
    assert [c.id for c in polar.customers.list(metadata={"tier": "gold"}).items] == [idle.id]
    assert len(polar.customers.list(sorting=["email"]).items) == 2
    polar.customers.members.create(idle.id, email="manager@example.com", role="billing_manager")
    assert [m.role for m in polar.customers.members.list(idle.id, role="billing_manager").items] == ["billing_manager"]
    assert [o.slug for o in polar.organizations.list(sorting=["slug"]).items]
