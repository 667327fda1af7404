"""The official Polar SDK reads what a customer is entitled to: `customers.get_state` and
`get_state_external` (the merchant's app), and `customer_portal.benefit_grants` (the seat holder,
with the SDK's default sorting and every filter it sends). Beyond Polar, an offline license
certificate verifies with the organization's published Ed25519 key, as the README shows.

SDK quirk (polar-sdk 1.0.2): `CustomerStateSubscription.status` is typed `granted | disabled`, so
the SDK cannot parse a state holding an active subscription; such a state is checked as raw JSON.
"""

import base64
import json
import uuid

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from polar.base import PolarDeserializationError
from polar.v2026_10 import Polar, errors
from polar.v2026_10.outputs import (
    CustomerBenefitGrantCustom,
    CustomerBenefitGrantLicenseKeys,
    CustomerStateIndividual,
    CustomerStateTeam,
    ListResourceCustomerBenefitGrant,
)

BILLING_EMAIL = "billing@acme.example"


@pytest.fixture
def org(server):
    return server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def polar(server, org):
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _pool(polar, recurring_interval):
    """A paid pool of 3 seats whose product gives a note and a license key: (checkout, note id,
    key benefit id)."""
    note = polar.benefits.create(type="custom", description="Onboarding guide", properties={"note": "Welcome"})
    key = polar.benefits.create(type="license_keys", description="Desktop app", properties={})
    product = polar.products.create(
        name="Team",
        recurring_interval=recurring_interval,
        prices=[{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}],
    )
    polar.products.update_benefits(product.id, benefits=[note.id, key.id])
    checkout = polar.checkouts.create(products=[product.id], seats=3, customer_email=BILLING_EMAIL)
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    return polar.checkouts.get(checkout.id), note.id, key.id


def _holder(polar, paid, name):
    email = f"{name}-{uuid.uuid4().hex[:8]}@acme.example"
    if paid.subscription_id:
        pool = {"subscription_id": paid.subscription_id}
    else:  # a one-time purchase: the SDK's checkout has no order id; its customer's order is the pool
        pool = {"order_id": polar.orders.list(customer_id=paid.customer_id).items[0].id}
    return polar.customer_seats.assign_seat(**pool, email=email, immediate_claim=True)


def test_the_sdk_reads_a_customers_state_by_id_and_by_external_id(server, polar, org):
    paid, note_id, key_id = _pool(polar, None)
    jane = _holder(polar, paid, "jane")
    john = _holder(polar, paid, "john")
    polar.customers.update(paid.customer_id, external_id=f"ext-{uuid.uuid4().hex[:8]}")
    external_id = polar.customers.get(paid.customer_id).external_id

    state = polar.customers.get_state(paid.customer_id)
    assert isinstance(state, (CustomerStateIndividual, CustomerStateTeam))
    assert state.id == paid.customer_id
    assert state.active_subscriptions == [] and state.active_meters == []
    assert len(state.granted_benefits) == 4
    assert {g.benefit_id for g in state.granted_benefits} == {note_id, key_id}
    assert {g.benefit_type for g in state.granted_benefits} == {"custom", "license_keys"}
    assert polar.customers.get_state_external(external_id) == state

    # Each grant names its member (beyond the SDK's model: read from the raw answer).
    raw = httpx.get(
        f"{server.base_url}/v1/customers/{paid.customer_id}/state",
        headers={"Authorization": f"Bearer {org['access_token']}"},
    ).json()
    assert sorted(g["member_id"] for g in raw["granted_benefits"]) == sorted([jane.member_id] * 2 + [john.member_id] * 2)
    keyed = [g for g in raw["granted_benefits"] if g["benefit_type"] == "license_keys"]
    assert all(g["properties"]["display_key"].startswith("****-") for g in keyed)

    with pytest.raises(errors.ResourceNotFound):
        polar.customers.get_state(str(uuid.uuid4()))
    with pytest.raises(errors.ResourceNotFound):
        polar.customers.get_state_external("nobody")


def test_an_active_subscription_is_in_the_state_as_polar_writes_it(server, polar, org):
    paid, _, _ = _pool(polar, "month")
    _holder(polar, paid, "jane")
    raw = httpx.get(
        f"{server.base_url}/v1/customers/{paid.customer_id}/state",
        headers={"Authorization": f"Bearer {org['access_token']}"},
    ).json()
    (subscription,) = raw["active_subscriptions"]
    assert subscription["id"] == paid.subscription_id
    assert subscription["status"] == "active" and subscription["seats"] == 3
    # The SDK's own model of it cannot hold "active" (see the module's doc).
    with pytest.raises(PolarDeserializationError):
        polar.customers.get_state(paid.customer_id)


def test_the_sdk_lists_and_gets_a_seat_holders_benefit_grants(server, polar, org):
    paid, note_id, key_id = _pool(polar, "month")
    jane = _holder(polar, paid, "jane")
    john = _holder(polar, paid, "john")
    session = polar.customer_sessions.create(customer_id=paid.customer_id, member_id=jane.member_id).token
    portal = Polar(session, base_url=server.base_url, timeout=30)

    own = portal.customer_portal.benefit_grants.list()
    assert isinstance(own, ListResourceCustomerBenefitGrant)
    assert own.pagination.total_count == 2
    assert all(g.member_id == jane.member_id for g in own.items)
    # The SDK's default order (product_benefit, -granted_at): the note comes first in the product.
    assert [g.benefit_id for g in own.items] == [note_id, key_id]
    note, key = own.items
    assert isinstance(note, CustomerBenefitGrantCustom)
    assert isinstance(key, CustomerBenefitGrantLicenseKeys)
    assert key.properties.display_key.startswith("****-")
    license_key = polar.license_keys.get(key.properties.license_key_id)
    assert license_key.member_id == jane.member_id
    assert portal.customer_portal.benefit_grants.get(key.id) == key

    assert portal.customer_portal.benefit_grants.list(type="license_keys").pagination.total_count == 1
    assert portal.customer_portal.benefit_grants.list(type=["discord"]).items == []
    assert portal.customer_portal.benefit_grants.list(query="onboarding").items == [note]
    assert portal.customer_portal.benefit_grants.list(benefit_id=key_id).items == [key]
    assert portal.customer_portal.benefit_grants.list(subscription_id=paid.subscription_id).pagination.total_count == 2
    assert portal.customer_portal.benefit_grants.list(checkout_id=paid.id).pagination.total_count == 2
    assert portal.customer_portal.benefit_grants.list(order_id=str(uuid.uuid4())).items == []
    assert portal.customer_portal.benefit_grants.list(member_id=john.member_id).items == []
    assert portal.customer_portal.benefit_grants.list(sorting=["-type"]).items[0].benefit_id == key_id
    with pytest.raises(errors.ResourceNotFound):
        johns = polar.benefits.grants(key_id, member_id=john.member_id).items[0].id
        portal.customer_portal.benefit_grants.get(johns)

    owner = Polar(polar.customer_sessions.create(customer_id=paid.customer_id).token, base_url=server.base_url, timeout=30)
    team = owner.customer_portal.benefit_grants.list(limit=100)
    assert team.pagination.total_count == 4
    assert owner.customer_portal.benefit_grants.list(member_id=john.member_id).pagination.total_count == 2


def _b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_an_offline_certificate_verifies_with_the_published_key(server, polar, org):
    paid, _, key_id = _pool(polar, "month")
    jane = _holder(polar, paid, "jane")
    key = next(k for k in polar.license_keys.list(benefit_id=key_id).items if k.member_id == jane.member_id)

    # What an app does: fetch (or embed) the public key, get a certificate with its key, check it.
    published = httpx.get(f"{server.base_url}/v1/organizations/{org['organization_id']}/license-public-key").json()
    issued = httpx.post(
        f"{server.base_url}/v1/customer-portal/license-keys/certificate",
        json={"key": key.key, "organization_id": org["organization_id"]},
    ).json()
    payload, signature = issued["certificate"].split(".")
    public_key = Ed25519PublicKey.from_public_bytes(_b64(published["public_key"]))
    public_key.verify(_b64(signature), _b64(payload))  # raises InvalidSignature if forged
    statement = json.loads(_b64(payload))
    assert statement["key"] == key.key and statement["license_key_id"] == key.id
    assert statement["key_id"] == published["key_id"]

    pem_key = load_pem_public_key(published["public_key_pem"].encode())
    pem_key.verify(_b64(signature), _b64(payload))
    with pytest.raises(InvalidSignature):
        public_key.verify(_b64(signature), _b64(payload)[:-1] + b" ")
