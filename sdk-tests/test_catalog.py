"""The official Polar SDK drives the catalog: benefits, seat-based products, benefit attachment."""

import uuid

import pytest
from polar.v2026_10 import Polar, errors


@pytest.fixture
def polar(server):
    org = server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


TIERS = {
    "seat_tier_type": "volume",
    "tiers": [
        {"min_seats": 1, "max_seats": 4, "price_per_seat": 1000},
        {"min_seats": 5, "max_seats": 9, "price_per_seat": 900},
        {"min_seats": 10, "price_per_seat": 800},
    ],
}


def test_the_sdk_creates_and_reads_a_seat_based_subscription_product(polar):
    product = polar.products.create(
        name="Team plan",
        recurring_interval="month",
        prices=[{"amount_type": "seat_based", "price_currency": "usd", "seat_tiers": TIERS}],
    )
    assert product.is_recurring
    price = product.prices[0]
    assert price.amount_type == "seat_based"
    assert [t.price_per_seat for t in price.seat_tiers.tiers] == [1000, 900, 800]
    assert price.seat_tiers.minimum_seats == 1
    assert price.seat_tiers.maximum_seats is None
    fetched = polar.products.get(product.id)
    assert fetched.id == product.id
    listed = polar.products.list(is_archived=False)
    assert [p.id for p in listed.items] == [product.id]


def test_the_sdk_attaches_benefits_of_both_kinds(polar):
    note = polar.benefits.create(type="custom", description="Onboarding", properties={"note": "Welcome aboard"})
    keys = polar.benefits.create(type="license_keys", description="License key", properties={"prefix": "ACME"})
    assert note.type == "custom" and note.properties.note == "Welcome aboard"
    assert keys.type == "license_keys" and keys.properties.prefix == "ACME"
    product = polar.products.create(
        name="Lifetime",
        prices=[
            {"amount_type": "seat_based", "seat_tiers": TIERS},
            {"amount_type": "fixed", "price_amount": 5000},
        ],
    )
    assert not product.is_recurring
    updated = polar.products.update_benefits(product.id, benefits=[note.id, keys.id])
    assert [b.id for b in updated.benefits] == [note.id, keys.id]
    assert len(polar.benefits.list(type="license_keys").items) == 1


def test_invalid_tiers_are_a_validation_error_for_the_sdk(polar):
    broken = {"tiers": [{"min_seats": 1, "max_seats": 4, "price_per_seat": 1000}, {"min_seats": 7, "price_per_seat": 900}]}
    with pytest.raises(errors.HTTPValidationError):
        polar.products.create(name="Broken", prices=[{"amount_type": "seat_based", "seat_tiers": broken}])


def test_the_sdk_creates_customers_members_and_sessions(polar):
    customer = polar.customers.create(email="jane@example.com", name="Jane", external_id="usr_jane")
    assert customer.type == "individual"
    assert polar.customers.get_external("usr_jane").id == customer.id
    member = polar.customers.members.create(customer.id, email="bob@example.com", name="Bob")
    assert member.role == "member"
    members = polar.customers.members.list(customer.id)
    assert {m.role for m in members.items} == {"owner", "member"}
    session = polar.customer_sessions.create(customer_id=customer.id)
    assert session.token.startswith("skp_cst_")
    assert session.customer.id == customer.id
    assert session.customer_portal_url.endswith(session.token)
