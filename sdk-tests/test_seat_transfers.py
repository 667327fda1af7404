"""Reassigning a seat (beyond Polar: the SDK has no method for it, so the request is sent raw) and
what the official SDK then sees: the answer parses as the SDK's `CustomerSeat` (with the SDK's own
`deserialize`, as its methods do), the old seat is
revoked and the new one pending in `list_seats`, the pool's free count unchanged, and the new
holder's invitation claims through the SDK. The same through the customer portal with a session.
"""

import uuid

import httpx
import pytest
from polar.base import deserialize
from polar.v2026_10 import Polar
from polar.v2026_10.outputs import CustomerSeat

from test_seat_claims import _invitation_token, _pool, _session, _unique


@pytest.fixture
def org(server):
    return server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def polar(server, org):
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _transfer(server, path, token, body):
    return httpx.post(
        f"{server.base_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=30,
    )


def test_a_reassigned_seat_is_seen_by_the_sdk_as_revoked_and_replaced(server, polar, org):
    subscription_id, _ = _pool(polar, 2)
    ann, bob = _unique("ann"), _unique("bob")
    seat = polar.customer_seats.assign_seat(subscription_id=subscription_id, email=ann)
    before = polar.customer_seats.list_seats(subscription_id=subscription_id)

    answer = _transfer(server, f"/v1/customer-seats/{seat.id}/transfer", org["access_token"], {"email": bob})
    assert answer.status_code == 200, answer.text
    moved = deserialize(answer.json(), CustomerSeat)
    assert moved.id != seat.id and moved.status == "pending" and moved.email == bob

    after = polar.customer_seats.list_seats(subscription_id=subscription_id)
    assert after.available_seats == before.available_seats == 1
    assert [(s.id, s.status) for s in after.seats] == [(seat.id, "revoked"), (moved.id, "pending")]

    claimed = polar.customer_seats.claim_seat(invitation_token=_invitation_token(server, bob))
    assert claimed.seat.id == moved.id and claimed.seat.status == "claimed"

    # A revoked seat cannot move again: a clear 400.
    again = _transfer(server, f"/v1/customer-seats/{seat.id}/transfer", org["access_token"], {"email": ann})
    assert again.status_code == 400 and again.json()["error"] == "SeatAlreadyRevoked"


def test_a_billing_manager_reassigns_a_seat_through_the_portal(server, polar):
    subscription_id, customer_id = _pool(polar, 1)
    owner = _session(polar, customer_id)
    portal = polar.customer_portal.seats
    seat = portal.assign_seat(subscription_id=subscription_id, email=_unique("ann"), request_access_token=owner)
    bob = _unique("bob")

    answer = _transfer(server, f"/v1/customer-portal/seats/{seat.id}/transfer", owner, {"email": bob})
    assert answer.status_code == 200, answer.text
    moved = deserialize(answer.json(), CustomerSeat)
    listed = portal.list_seats(subscription_id=subscription_id, request_access_token=owner)
    assert listed.available_seats == 0
    assert [(s.email, s.status) for s in listed.seats] == [(seat.email, "revoked"), (bob, "pending")]
    assert moved.id == listed.seats[1].id

    missing = _transfer(server, f"/v1/customer-portal/seats/{uuid.uuid4()}/transfer", owner, {"email": bob})
    assert missing.status_code == 404
