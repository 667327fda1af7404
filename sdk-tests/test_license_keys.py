"""The official Polar SDK reads and uses what claimed seats give: the merchant's `license_keys`
group (list with its filters, get, update, get_activation, validate, activate, deactivate), the
public `customer_portal.license_keys` calls an app makes with only its key, the session's own keys,
`benefits.grants`, and `customer_portal.customer_session` (introspect, get_authenticated_user).
Every answer must parse as the SDK's models; every refusal must raise the SDK's error class.
"""

import uuid

import pytest
from polar.v2026_10 import Polar, errors
from polar.v2026_10.outputs import (
    CustomerCustomerSession,
    LicenseKeyActivationCreated,
    LicenseKeyActivationRead,
    LicenseKeyRead,
    LicenseKeyWithActivations,
    ListResourceBenefitGrant,
    ListResourceLicenseKeyRead,
    PortalAuthenticatedUser,
    ValidatedLicenseKey,
)

BILLING_EMAIL = "billing@acme.example"


@pytest.fixture
def org(server):
    return server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def polar(server, org):
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _keyed_pool(polar, properties, seats=3):
    """A paid monthly subscription whose seats give a license key: (subscription_id, customer_id,
    benefit_id)."""
    benefit = polar.benefits.create(type="license_keys", description="Desktop app", properties=properties)
    product = polar.products.create(
        name="Team",
        recurring_interval="month",
        prices=[{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}],
    )
    polar.products.update_benefits(product.id, benefits=[benefit.id])
    checkout = polar.checkouts.create(products=[product.id], seats=seats, customer_email=BILLING_EMAIL)
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    paid = polar.checkouts.get(checkout.id)
    return paid.subscription_id, paid.customer_id, benefit.id


def _holder(polar, subscription_id, name):
    """A seat claimed at once by a new person: the seat."""
    email = f"{name}-{uuid.uuid4().hex[:8]}@acme.example"
    return polar.customer_seats.assign_seat(subscription_id=subscription_id, email=email, immediate_claim=True)


def _key_of(polar, seat):
    keys = polar.license_keys.list(limit=100)
    return next(k for k in keys.items if k.member_id == seat.member_id)


def test_the_sdk_lists_reads_and_updates_license_keys(polar, org):
    subscription_id, customer_id, benefit_id = _keyed_pool(
        polar, {"prefix": "acme", "activations": {"limit": 2, "enable_customer_admin": True}, "limit_usage": 10}
    )
    jane = _holder(polar, subscription_id, "jane")
    _holder(polar, subscription_id, "john")

    listed = polar.license_keys.list(benefit_id=benefit_id, status="granted")
    assert isinstance(listed, ListResourceLicenseKeyRead)
    assert listed.pagination.total_count == 2
    assert all(isinstance(k, LicenseKeyRead) and k.key.startswith("ACME-") for k in listed.items)
    assert polar.license_keys.list(status=["revoked", "disabled"]).items == []
    assert polar.license_keys.list(organization_id=str(uuid.uuid4())).items == []

    key = _key_of(polar, jane)
    assert key.customer_id == customer_id and key.member.id == jane.member_id
    assert key.display_key == "****-" + key.key[-6:]
    assert (key.limit_activations, key.limit_usage, key.usage, key.validations) == (2, 10, 0, 0)

    one = polar.license_keys.get(key.id)
    assert isinstance(one, LicenseKeyWithActivations) and one.activations == []

    changed = polar.license_keys.update(key.id, limit_usage=None, limit_activations=3, usage=1)
    assert isinstance(changed, LicenseKeyRead)
    assert (changed.limit_usage, changed.limit_activations, changed.usage) == (None, 3, 1)

    with pytest.raises(errors.ResourceNotFound):
        polar.license_keys.get(str(uuid.uuid4()))
    with pytest.raises(errors.HTTPValidationError):
        polar.license_keys.update(key.id, limit_activations=0)


def test_the_sdk_validates_activates_and_deactivates_a_key(polar, org):
    subscription_id, _, _ = _keyed_pool(
        polar, {"activations": {"limit": 1, "enable_customer_admin": False}, "limit_usage": 3}
    )
    key = _key_of(polar, _holder(polar, subscription_id, "jane"))
    named = {"key": key.key, "organization_id": org["organization_id"]}

    validated = polar.license_keys.validate(**named, increment_usage=2)
    assert isinstance(validated, ValidatedLicenseKey)
    assert (validated.usage, validated.validations) == (2, 1)
    with pytest.raises(errors.BadRequest):
        polar.license_keys.validate(**named, increment_usage=2)

    activation = polar.license_keys.activate(**named, label="laptop", conditions={"machine": "abc"}, meta={"os": "linux"})
    assert isinstance(activation, LicenseKeyActivationCreated)
    assert activation.label == "laptop" and activation.license_key.id == key.id
    with pytest.raises(errors.NotPermitted):
        polar.license_keys.activate(**named, label="desktop")

    read = polar.license_keys.get_activation(key.id, activation.id)
    assert isinstance(read, LicenseKeyActivationRead) and read.meta == {"os": "linux"}
    checked = polar.license_keys.validate(**named, activation_id=activation.id, conditions={"machine": "abc"})
    assert checked.activation is not None and checked.activation.id == activation.id
    with pytest.raises(errors.ResourceNotFound):
        polar.license_keys.validate(**named, activation_id=activation.id, conditions={"machine": "xyz"})

    assert polar.license_keys.deactivate(**named, activation_id=activation.id) is None
    with pytest.raises(errors.ResourceNotFound):
        polar.license_keys.deactivate(**named, activation_id=activation.id)
    assert polar.license_keys.activate(**named, label="desktop").label == "desktop"


def test_an_app_with_only_its_key_uses_the_public_portal_calls(server, polar, org):
    subscription_id, _, _ = _keyed_pool(polar, {"activations": {"limit": 1, "enable_customer_admin": False}})
    seat = _holder(polar, subscription_id, "jane")
    key = _key_of(polar, seat)
    named = {"key": key.key, "organization_id": org["organization_id"]}
    # The app's client holds no token of ours: whatever it sends is not looked at.
    app = Polar("an-app-has-no-token", base_url=server.base_url, timeout=30)

    validated = app.customer_portal.license_keys.validate(**named)
    assert isinstance(validated, ValidatedLicenseKey) and validated.validations == 1
    activation = app.customer_portal.license_keys.activate(**named, label="laptop")
    assert activation.license_key.key == key.key
    assert app.customer_portal.license_keys.deactivate(**named, activation_id=activation.id) is None

    # A revoked seat's key stops validating.
    polar.customer_seats.revoke_seat(seat.id)
    with pytest.raises(errors.ResourceNotFound):
        app.customer_portal.license_keys.validate(**named)
    with pytest.raises(errors.NotPermitted):
        app.customer_portal.license_keys.activate(**named, label="laptop")
    assert polar.license_keys.get(key.id).status == "revoked"


def test_a_session_lists_its_own_keys(server, polar, org):
    subscription_id, customer_id, benefit_id = _keyed_pool(polar, {})
    jane = _holder(polar, subscription_id, "jane")
    _holder(polar, subscription_id, "john")
    session = polar.customer_sessions.create(customer_id=customer_id, member_id=jane.member_id).token
    portal = Polar(session, base_url=server.base_url, timeout=30)

    own = portal.customer_portal.license_keys.list(benefit_id=benefit_id)
    assert isinstance(own, ListResourceLicenseKeyRead)
    assert [k.member_id for k in own.items] == [jane.member_id]
    one = portal.customer_portal.license_keys.get(own.items[0].id)
    assert isinstance(one, LicenseKeyWithActivations)
    johns = next(k for k in polar.license_keys.list().items if k.member_id != jane.member_id)
    with pytest.raises(errors.ResourceNotFound):
        portal.customer_portal.license_keys.get(johns.id)


def test_the_sdk_lists_the_grants_of_one_benefit(polar, org):
    subscription_id, customer_id, benefit_id = _keyed_pool(polar, {})
    jane = _holder(polar, subscription_id, "jane")
    john = _holder(polar, subscription_id, "john")

    grants = polar.benefits.grants(benefit_id)
    assert isinstance(grants, ListResourceBenefitGrant)
    assert grants.pagination.total_count == 2
    assert [g.member_id for g in grants.items] == [john.member_id, jane.member_id]  # newest first
    assert [g.member_id for g in polar.benefits.grants(benefit_id, member_id=jane.member_id).items] == [jane.member_id]
    assert polar.benefits.grants(benefit_id, customer_id=customer_id).pagination.total_count == 2

    polar.customer_seats.revoke_seat(jane.id)
    assert [g.member_id for g in polar.benefits.grants(benefit_id, is_granted=True).items] == [john.member_id]
    assert [g.member_id for g in polar.benefits.grants(benefit_id, is_granted=False).items] == [jane.member_id]
    with pytest.raises(errors.ResourceNotFound):
        polar.benefits.grants(str(uuid.uuid4()))


def test_a_session_says_who_it_signs_in(server, polar, org):
    subscription_id, customer_id, _ = _keyed_pool(polar, {})
    jane = _holder(polar, subscription_id, "jane")
    created = polar.customer_sessions.create(customer_id=customer_id, member_id=jane.member_id)
    portal = Polar(created.token, base_url=server.base_url, timeout=30)

    terms = portal.customer_portal.customer_session.introspect()
    assert isinstance(terms, CustomerCustomerSession)
    assert terms.expires_at == created.expires_at
    user = portal.customer_portal.customer_session.get_authenticated_user()
    assert isinstance(user, PortalAuthenticatedUser)
    assert (user.type, user.role, user.member_id, user.customer_id) == ("member", "member", jane.member_id, customer_id)

    owner = Polar(polar.customer_sessions.create(customer_id=customer_id).token, base_url=server.base_url, timeout=30)
    assert owner.customer_portal.customer_session.get_authenticated_user().role == "owner"
