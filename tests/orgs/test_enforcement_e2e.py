"""End to end: an admin enforces 2FA through the API while a member is signed in (R3, R4)."""

from __future__ import annotations

from typing import Any

import requests

from bridge.services.orgs import Actor
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    totp_code,
)

OPERATOR = Actor.operator()


def sign_in(rp: RelyingParty, browser: Browser, username: str, **extra: str) -> Any:
    request = rp.authorization_request(**extra)
    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in", page
    return request, browser.submit(username=username, password=PASSWORD)


def admin_token(rp: RelyingParty, username: str) -> str:
    """An access token with the admin scope, the way an admin's tool gets one: through OIDC."""
    request, landed = sign_in(rp, Browser(), username, scope="openid admin")
    assert isinstance(landed, str), landed
    response = rp.exchange(callback_params(landed)["code"], request.verifier)
    assert response.status_code == 200, response.text
    assert "admin" in response.json()["scope"].split()
    token: str = response.json()["access_token"]
    return token


def test_enforcing_2fa_keeps_running_sessions_and_asks_for_enrolment_at_the_next_login(
    live: LiveBridge, rp: RelyingParty
) -> None:
    s = live.services
    s.orgs.create(OPERATOR, "parts", "Partner", kind="partner", mode="trial")
    s.orgs.create(OPERATOR, "cust", "Customer", kind="customer", parent="parts")
    for name, org, role in (
        ("pat", "parts", "admin"),
        ("alice", "cust", "member"),
        ("bob", "cust", "member"),
    ):
        live.add_user(name)
        s.members.add(OPERATOR, org, name, role)
    s.orgs.assign_client(OPERATOR, "cust", rp.client_id)
    s.orgs.allow_admin_scope(OPERATOR, rp.client_id)

    # Alice signs in with her password alone: her organisations enforce nothing yet.
    alice = Browser()
    _request, landed = sign_in(rp, alice, "alice")
    assert isinstance(landed, str), "no second factor was asked for"

    # The partner's admin enforces 2FA for the customer through the admin API.
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {admin_token(rp, 'pat')}"
    base = f"{live.url}/admin/api/v1/orgs/cust"
    enforced = api.patch(f"{base}/policy", json={"mfa_enforced": True})
    assert enforced.status_code == 200, enforced.text
    assert api.get(f"{base}/mfa-progress").json() == {"configured": 0, "needing": 2, "percent": 0}

    # Her running session keeps working: the app gets a code without any question.
    again = alice.open(rp.authorization_request().url)
    assert isinstance(again, str) and "code" in callback_params(again)

    # Her next login asks her to set up 2FA, and finishing it moves the progress to 1/2.
    _request, page = sign_in(rp, alice, "alice", prompt="login")
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    landed = alice.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(landed, str), alice.page
    assert api.get(f"{base}/mfa-progress").json() == {"configured": 1, "needing": 2, "percent": 50}
    statuses = {
        m["username"]: m["mfa_status"] for m in api.get(f"{base}/members").json()["members"]
    }
    assert statuses == {"alice": "configured", "bob": "setup_required"}
