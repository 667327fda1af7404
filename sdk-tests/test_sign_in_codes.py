"""Signing in to the portal by email (`customer-session/request` and `authenticate`: Polar's shape,
which the SDK does not expose, so the two requests are sent raw), then the official SDK using the
session the code opened: `introspect`, `get_authenticated_user` and the portal's seat list parse as
the SDK's own models. The code is read from the development mailbox.
"""

import html
import re
import urllib.request
import uuid

import httpx
import pytest
from polar.v2026_10 import Polar

from test_seat_claims import _MAIL, _pool

_CODE = re.compile(r"\?code=([A-Z2-9]{12})")


@pytest.fixture
def org(server):
    return server.create_org(f"sdk-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def polar(server, org):
    return Polar(org["access_token"], base_url=server.base_url, timeout=30)


def _code(server, email):
    with urllib.request.urlopen(f"{server.base_url}/dev/mailbox", timeout=10) as response:
        page = response.read().decode("utf-8")
    for to, body in _MAIL.findall(page):  # newest first
        if html.unescape(to) == email:
            found = _CODE.search(html.unescape(body))
            if found:
                return found.group(1)
    raise AssertionError(f"no sign-in code for {email} in the mailbox")


def test_a_code_from_the_email_opens_a_session_the_sdk_uses(server, polar, org):
    subscription_id, customer_id = _pool(polar, 2)
    email = polar.customers.get(customer_id).email
    asked = httpx.post(
        f"{server.base_url}/v1/customer-portal/customer-session/request",
        json={"email": email, "organization_id": org["organization_id"]},
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    code = _code(server, email)
    answer = httpx.post(
        f"{server.base_url}/v1/customer-portal/customer-session/authenticate", json={"code": code}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["token"]

    session = polar.customer_portal.customer_session
    assert session.introspect(request_access_token=token).expires_at is not None
    assert session.get_authenticated_user(request_access_token=token).role == "owner"
    seats = polar.customer_portal.seats.list_seats(subscription_id=subscription_id, request_access_token=token)
    assert seats.total_seats == 2

    again = httpx.post(
        f"{server.base_url}/v1/customer-portal/customer-session/authenticate", json={"code": code}, timeout=30
    )
    assert again.status_code == 401 and again.json()["error"] == "CustomerSessionCodeInvalidOrExpired"
