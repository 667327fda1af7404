"""The official Polar SDK reads Seatkeeper's organizations endpoints and parses every response."""

import uuid

import pytest
from polar.v2026_10 import Polar
from polar.v2026_10 import errors


def _slug() -> str:
    return f"sdk-{uuid.uuid4().hex[:12]}"


def test_the_sdk_gets_the_organization_of_its_token(server):
    org = server.create_org(_slug())
    polar = Polar(org["access_token"], base_url=server.base_url, timeout=30)
    got = polar.organizations.get(org["organization_id"])
    assert got.id == org["organization_id"]
    assert got.slug == org["slug"]
    assert got.proration_behavior == "prorate"
    assert got.feature_settings is not None and got.feature_settings.member_model_enabled


def test_the_sdk_lists_the_organizations_of_its_token(server):
    org = server.create_org(_slug())
    polar = Polar(org["access_token"], base_url=server.base_url, timeout=30)
    page = polar.organizations.list()
    assert [o.id for o in page.items] == [org["organization_id"]]
    assert page.pagination.total_count == 1


def test_another_organization_is_a_resource_not_found_for_the_sdk(server):
    mine = server.create_org(_slug())
    theirs = server.create_org(_slug())
    polar = Polar(mine["access_token"], base_url=server.base_url, timeout=30)
    with pytest.raises(errors.ResourceNotFound):
        polar.organizations.get(theirs["organization_id"])


def test_a_malformed_id_is_a_validation_error_for_the_sdk(server):
    org = server.create_org(_slug())
    polar = Polar(org["access_token"], base_url=server.base_url, timeout=30)
    with pytest.raises(errors.HTTPValidationError):
        polar.organizations.get("not-a-uuid")


def test_the_sdk_updates_the_default_proration_of_its_organization(server):
    org = server.create_org(_slug())
    polar = Polar(org["access_token"], base_url=server.base_url, timeout=30)
    updated = polar.organizations.update(
        org["organization_id"],
        name="Renamed by the SDK",
        subscription_settings={
            "allow_multiple_subscriptions": True,
            "proration_behavior": "next_period",
            "benefit_revocation_grace_period": 3,
            "prevent_trial_abuse": False,
            "allow_customer_updates": True,
        },
    )
    assert updated.name == "Renamed by the SDK"
    assert updated.subscription_settings.proration_behavior == "next_period"
    assert updated.proration_behavior == "next_period"
    assert updated.subscription_settings.benefit_revocation_grace_period == 3
    assert polar.organizations.get(org["organization_id"]).proration_behavior == "next_period"


def test_a_setting_seatkeeper_keeps_fixed_is_a_validation_error_for_the_sdk(server):
    org = server.create_org(_slug())
    polar = Polar(org["access_token"], base_url=server.base_url, timeout=30)
    with pytest.raises(errors.HTTPValidationError):
        polar.organizations.update(
            org["organization_id"],
            subscription_settings={
                "allow_multiple_subscriptions": False,
                "proration_behavior": "prorate",
                "benefit_revocation_grace_period": 7,
                "prevent_trial_abuse": False,
                "allow_customer_updates": True,
            },
        )
    unchanged = polar.organizations.get(org["organization_id"])
    assert unchanged.subscription_settings.allow_multiple_subscriptions is True
