"""The official Polar SDK follows a seat invitation end to end (claim info, claim, resend, revoke) and
drives the customer portal's seat API with session tokens. Every answer must parse as the SDK's own
models (`SeatClaimInfo`, `CustomerSeatClaimResponse`, `SeatsList`, `CustomerSeat`,
`ListResourceCustomerSubscription`).

Invitation tokens are read from the server's development mailbox (`GET /dev/mailbox`), which is
mounted because the test server runs with `--dev-mailbox` (on loopback).
"""

import html
import re
import urllib.request
import uuid

import pytest
from polar.v2026_10 import Polar, errors
from polar.v2026_10.outputs import (
    CustomerSeat,
    CustomerSeatClaimResponse,
    ListResourceCustomerOrder,
    ListResourceCustomerSubscription,
    SeatClaimInfo,
    SeatsList,
)

BILLING_EMAIL = "billing@acme.example"
_MAIL = re.compile(r'<article class="mail" data-to="([^"]*)"(.*?)</article>', re.S)
_TOKEN = re.compile(r"token=(skp_inv_[A-Za-z0-9_-]+)")


@pytest.fixture
def org(server):
    return server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def polar(server, org):
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _unique(name):
    """An email address unique to this test run (the mailbox is shared by the server session)."""
    return f"{name}-{uuid.uuid4().hex[:8]}@acme.example"


def _pool(polar, seats):
    """A paid monthly subscription of a new seat-based product: (subscription_id, customer_id)."""
    product = polar.products.create(
        name="Team",
        recurring_interval="month",
        prices=[{"amount_type": "seat_based", "seat_tiers": {"tiers": [{"min_seats": 1, "price_per_seat": 1000}]}}],
    )
    checkout = polar.checkouts.create(products=[product.id], seats=seats, customer_email=BILLING_EMAIL)
    polar.checkouts.client_confirm(checkout.client_secret, confirmation_token_id="tok_visa")
    paid = polar.checkouts.get(checkout.id)
    assert paid.subscription_id is not None and paid.customer_id is not None
    return paid.subscription_id, paid.customer_id


def _invitation_token(server, email):
    """The claim token of the newest invitation to `email`, from the development mailbox."""
    with urllib.request.urlopen(f"{server.base_url}/dev/mailbox", timeout=10) as response:
        page = response.read().decode("utf-8")
    for to, body in _MAIL.findall(page):  # newest first
        if html.unescape(to) == email:
            found = _TOKEN.search(html.unescape(body))
            assert found, f"no claim link in the invitation to {email}"
            return found.group(1)
    raise AssertionError(f"no email to {email} in the mailbox")


def _session(polar, customer_id, member_id=None):
    kwargs = {"customer_id": customer_id}
    if member_id is not None:
        kwargs["member_id"] = member_id
    return polar.customer_sessions.create(**kwargs).token


def test_the_sdk_reads_claim_info_and_claims_a_seat(server, polar, org):
    subscription_id, customer_id = _pool(polar, 2)
    email = _unique("jane")
    seat = polar.customer_seats.assign_seat(subscription_id=subscription_id, email=email)
    token = _invitation_token(server, email)

    info = polar.customer_seats.get_claim_info(token)
    assert isinstance(info, SeatClaimInfo)
    assert info.customer_email == email
    assert info.product_name == "Team"
    assert info.organization_slug == org["slug"]
    assert info.can_claim is True
    # Reading the link changes nothing: it still reads the same, and the seat is still pending.
    assert polar.customer_seats.get_claim_info(token) == info
    assert polar.customer_seats.list_seats(subscription_id=subscription_id).seats[0].status == "pending"

    claimed = polar.customer_seats.claim_seat(invitation_token=token)
    assert isinstance(claimed, CustomerSeatClaimResponse)
    assert isinstance(claimed.seat, CustomerSeat)
    assert claimed.seat.id == seat.id
    assert claimed.seat.status == "claimed"
    assert claimed.seat.claimed_at is not None
    assert claimed.seat.customer_id == customer_id
    assert claimed.customer_session_token.startswith("skp_cst_")

    # The link is single use.
    with pytest.raises(errors.PolarClientError) as used:
        polar.customer_seats.claim_seat(invitation_token=token)
    assert used.value.status_code == 400
    with pytest.raises(errors.PolarClientError) as gone:
        polar.customer_seats.get_claim_info(token)
    assert gone.value.status_code == 404

    # The new member's session opens the portal: it may read the pool's seats.
    listed = polar.customer_portal.seats.list_seats(
        subscription_id=subscription_id, request_access_token=claimed.customer_session_token
    )
    assert [s.status for s in listed.seats] == ["claimed"]


def test_a_claimed_seats_member_session_lists_its_subscription(server, polar):
    subscription_id, customer_id = _pool(polar, 2)
    other_subscription_id, _ = _pool(polar, 2)
    email = _unique("jane")
    polar.customer_seats.assign_seat(subscription_id=subscription_id, email=email)
    claimed = polar.customer_seats.claim_seat(invitation_token=_invitation_token(server, email))
    # A pending seat in another pool does not count.
    polar.customer_seats.assign_seat(subscription_id=other_subscription_id, email=email)

    subscriptions = polar.customer_portal.seats.list_claimed_subscriptions(
        request_access_token=claimed.customer_session_token
    )
    assert isinstance(subscriptions, ListResourceCustomerSubscription)
    assert [s.id for s in subscriptions.items] == [subscription_id]
    assert subscriptions.pagination.total_count == 1
    assert subscriptions.items[0].customer_id == customer_id
    assert subscriptions.items[0].status == "active"


def test_the_sdk_resends_an_invitation_with_a_new_link_and_revokes_a_seat(server, polar):
    subscription_id, _ = _pool(polar, 2)
    email = _unique("bob")
    seat = polar.customer_seats.assign_seat(subscription_id=subscription_id, email=email)
    old = _invitation_token(server, email)

    resent = polar.customer_seats.resend_invitation(seat.id)
    assert isinstance(resent, CustomerSeat)
    assert resent.id == seat.id and resent.status == "pending"
    new = _invitation_token(server, email)
    assert new != old
    with pytest.raises(errors.PolarClientError) as stale:
        polar.customer_seats.get_claim_info(old)
    assert stale.value.status_code == 404
    assert polar.customer_seats.get_claim_info(new).customer_email == email

    revoked = polar.customer_seats.revoke_seat(seat.id)
    assert revoked.status == "revoked" and revoked.revoked_at is not None
    assert polar.customer_seats.revoke_seat(seat.id).revoked_at == revoked.revoked_at
    with pytest.raises(errors.PolarClientError) as dead:
        polar.customer_seats.claim_seat(invitation_token=new)
    assert dead.value.status_code == 400
    with pytest.raises(errors.PolarClientError) as not_pending:
        polar.customer_seats.resend_invitation(seat.id)
    assert not_pending.value.status_code == 400
    assert polar.customer_seats.list_seats(subscription_id=subscription_id).available_seats == 2


def test_the_sdk_manages_seats_in_the_customer_portal(server, polar):
    subscription_id, customer_id = _pool(polar, 3)
    owner = _session(polar, customer_id)
    portal = polar.customer_portal.seats

    listed = portal.list_seats(subscription_id=subscription_id, request_access_token=owner)
    assert isinstance(listed, SeatsList)
    assert listed.total_seats == 3 and listed.available_seats == 3 and listed.seats == []

    email = _unique("jane")
    seat = portal.assign_seat(subscription_id=subscription_id, email=email, request_access_token=owner)
    assert isinstance(seat, CustomerSeat)
    assert seat.status == "pending" and seat.member is not None and seat.member.email == email
    first = _invitation_token(server, email)

    resent = portal.resend_invitation(seat.id, request_access_token=owner)
    assert resent.id == seat.id
    assert _invitation_token(server, email) != first

    listed = portal.list_seats(subscription_id=subscription_id, request_access_token=owner)
    assert [s.id for s in listed.seats] == [seat.id] and listed.available_seats == 2

    revoked = portal.revoke_seat(seat.id, request_access_token=owner)
    assert revoked.status == "revoked"
    assert portal.list_seats(subscription_id=subscription_id, request_access_token=owner).available_seats == 3

    # The owner holds no claimed seat itself.
    none = portal.list_claimed_subscriptions(request_access_token=owner)
    assert none.items == [] and none.pagination.total_count == 0

    # The portal may not claim at once.
    with pytest.raises(errors.PolarClientError) as immediate:
        portal.assign_seat(
            subscription_id=subscription_id, email=_unique("x"), immediate_claim=True, request_access_token=owner
        )
    assert immediate.value.status_code == 422


def test_a_portal_member_may_read_but_not_change_seats(server, polar):
    subscription_id, customer_id = _pool(polar, 3)
    seat = polar.customer_seats.assign_seat(subscription_id=subscription_id, email=_unique("jane"))
    member = polar.customers.members.create(customer_id, email=_unique("bob"), role="member")
    reader = _session(polar, customer_id, member.id)
    portal = polar.customer_portal.seats

    assert [s.id for s in portal.list_seats(subscription_id=subscription_id, request_access_token=reader).seats] == [
        seat.id
    ]
    for attempt in (
        lambda: portal.assign_seat(subscription_id=subscription_id, email=_unique("x"), request_access_token=reader),
        lambda: portal.resend_invitation(seat.id, request_access_token=reader),
        lambda: portal.revoke_seat(seat.id, request_access_token=reader),
    ):
        with pytest.raises(errors.PolarClientError) as refused:
            attempt()
        assert refused.value.status_code == 403

    # Another customer's session does not see the pool.
    stranger = polar.customers.create(email=_unique("eve"))
    theirs = _session(polar, stranger.id)
    with pytest.raises(errors.PolarClientError) as hidden:
        portal.list_seats(subscription_id=subscription_id, request_access_token=theirs)
    assert hidden.value.status_code == 404
    # An organization token is not a portal session.
    with pytest.raises(errors.PolarClientError) as unauthorized:
        portal.list_seats(subscription_id=subscription_id)
    assert unauthorized.value.status_code == 401


def test_the_sdk_lists_and_gets_the_customers_subscriptions_in_the_portal(server, polar):
    subscription_id, customer_id = _pool(polar, 3)
    second_id, _ = _pool(polar, 2)
    stranger = polar.checkouts.create(
        products=[polar.subscriptions.get(subscription_id).product_id], seats=1, customer_email=_unique("eve")
    )
    polar.checkouts.client_confirm(stranger.client_secret, confirmation_token_id="tok_visa")
    stranger_id = polar.checkouts.get(stranger.id).subscription_id
    portal = Polar(_session(polar, customer_id), base_url=server.base_url, timeout=30).customer_portal

    page = portal.subscriptions.list()
    assert isinstance(page, ListResourceCustomerSubscription)
    assert [s.id for s in page.items] == [second_id, subscription_id]
    assert page.pagination.total_count == 2
    first_product = polar.subscriptions.get(subscription_id).product_id
    only = portal.subscriptions.list(product_id=first_product, active=True, sorting=["-amount"])
    assert [s.id for s in only.items] == [subscription_id]
    assert portal.subscriptions.list(query="no such plan").items == []

    one = portal.subscriptions.get(subscription_id)
    assert one.id == subscription_id and one.seats == 3 and one.product.organization is not None
    with pytest.raises(errors.ResourceNotFound):
        portal.subscriptions.get(stranger_id)


def test_the_sdk_lists_and_gets_the_customers_orders_in_the_portal(server, polar):
    subscription_id, customer_id = _pool(polar, 2)
    portal = Polar(_session(polar, customer_id), base_url=server.base_url, timeout=30).customer_portal
    page = portal.orders.list(product_billing_type="recurring", sorting=["-created_at"])
    assert isinstance(page, ListResourceCustomerOrder)
    assert [o.subscription_id for o in page.items] == [subscription_id]
    one = portal.orders.get(page.items[0].id)
    assert one.billing_reason == "subscription_create" and one.product.organization is not None
    assert portal.orders.list(query="no such plan").items == []
