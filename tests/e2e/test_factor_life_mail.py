"""Journeys that e-mail people, against a real SMTP server (aiosmtpd): the lock notice, a
factor change, and a "lost your device?" request that an admin approves through the admin API
(R8, R10, R13, issue 5)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests

from bridge.oidc.tokens import CodeData
from tests.e2e.factor_life import (
    OPERATOR,
    code_of,
    enrolled_user,
    org_with,
    to_code_page,
    wrong_code,
)
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty
from tests.factors.smtp_server import Inbox, smtp_server
from tests.ports import unused_port

PORT = unused_port()  # this worker's own: nothing else binds it while the module waits
pytestmark = pytest.mark.bridge_env(
    {
        "BRIDGE_MAIL__HOST": "127.0.0.1",
        "BRIDGE_MAIL__PORT": str(PORT),
        "BRIDGE_MAIL__SECURITY": "none",
    }
)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    received = Inbox()
    with smtp_server(received, PORT):
        yield received


def _delivered(live: LiveBridge, inbox: Inbox) -> list[tuple[list[str], str]]:
    assert live.services.mailer.outbox.wait_idle(10)
    return [(m.recipients, str(m.message["Subject"])) for m in inbox.messages]


def _admin_token(live: LiveBridge, client_id: str, user_id: str) -> str:
    code = CodeData(
        client_id=client_id,
        redirect_uri="http://127.0.0.1:9/callback",
        scope="openid admin",
        user_id=user_id,
        auth_time=int(live.clock()),
        amr=["pwd", "otp"],
        acr=None,
        nonce=None,
        code_challenge=None,
        code_challenge_method=None,
    )
    live.services.tokens.open_grant(code)
    token = secrets.token_urlsafe(32)
    live.services.tokens.store_tokens(
        code.grant_id,
        client_id=client_id,
        user_id=user_id,
        scope="openid admin",
        access_token=token,
        refresh_token=None,
    )
    return token


def test_the_third_wrong_code_mails_the_user_that_the_account_is_locked(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    _, secret = enrolled_user(live, "ada")
    to_code_page(rp, browser, "ada")
    for _ in range(3):
        browser.submit(code=wrong_code(live, secret))
    [(to, subject)] = _delivered(live, inbox)
    assert to == ["ada@example.com"] and subject == "Your account has been locked"


def test_a_reset_of_the_own_key_is_mailed(live: LiveBridge, browser: Browser, inbox: Inbox) -> None:
    _, secret = enrolled_user(live, "ada")
    browser.open(live.url + "/account")
    browser.submit(username="ada", password=PASSWORD)
    page = browser.submit(code=code_of(live, secret))
    assert isinstance(page, Page) and page.title == "Your account"
    live.clock.advance(30)
    form = page.soup.find("form", attrs={"action": "/account/reset-key"})
    assert form is not None
    token = form.find("input", attrs={"name": "csrf_token"})
    response = browser.http.post(
        live.url + "/account/reset-key",
        data={"csrf_token": str(token["value"]), "code": code_of(live, secret)},  # type: ignore[index]
    )
    assert response.status_code == 200 and "signed out" in response.text
    [(to, subject)] = _delivered(live, inbox)
    assert to == ["ada@example.com"]
    assert subject == "A security setting of your account changed"


def test_lost_device_request_mails_the_admins_and_an_approval_resets_and_mails_the_user(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    live.add_user("boss")
    org_with(live, "acme", ["ada"], mfa_enforced=True)
    live.services.members.add(OPERATOR, "acme", "boss", "admin")
    live.services.trusted_devices.trust(user_id, "Firefox", 30)

    page = to_code_page(rp, browser, "ada")
    link = page.soup.find(id="lost-device")
    assert link is not None
    page = browser.open(live.url + str(link["href"]))
    assert isinstance(page, Page) and page.title == "Lost your device?"
    page = browser.submit(message="Phone fell into the Rhine")
    assert isinstance(page, Page) and page.title == "Your administrators were asked"
    [(to, _)] = _delivered(live, inbox)
    assert to == ["boss@example.com"]
    body = inbox.messages[0].message.get_body(("plain",))
    assert body is not None
    # The link goes to acme's console page, where the request waits with its Approve button.
    assert f"{live.url}/admin/orgs/acme" in body.get_content()

    client_id, _ = live.add_client()
    live.services.orgs.allow_admin_scope(OPERATOR, client_id)
    boss = live.services.users.find("boss")
    assert boss is not None
    headers = {"Authorization": f"Bearer {_admin_token(live, client_id, boss.id)}"}
    api = live.url + "/admin/api/v1/orgs/acme/reset-requests"
    [pending] = requests.get(api, headers=headers).json()["requests"]
    assert pending["message"] == "Phone fell into the Rhine"

    wrong = requests.post(f"{api}/nonexistent/approve", headers=headers)
    assert wrong.status_code == 404
    ada_token = {"Authorization": f"Bearer {_admin_token(live, client_id, user_id)}"}
    refused = requests.post(f"{api}/{pending['id']}/approve", headers=ada_token)
    assert refused.status_code in (403, 404)

    approved = requests.post(f"{api}/{pending['id']}/approve", headers=headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert not live.services.totp.has_totp(user_id)
    assert live.services.trusted_devices.list(user_id) == []
    delivered = _delivered(live, inbox)
    assert delivered[-1][0] == ["ada@example.com"]
    assert live.audit("mfa_reset_approved", user_id)

    # The next sign-in sets up a new authenticator.
    browser = Browser()
    browser.open(rp.authorization_request().url)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page) and page.soup.find(id="secret") is not None
    browser.http.close()
    assert secret


def test_lost_device_without_a_password_is_refused(
    live: LiveBridge, rp: RelyingParty, browser: Browser, inbox: Inbox
) -> None:
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page)
    flow_url = page.form_action()
    response = browser.http.get(flow_url + "/lost-device")
    assert response.status_code == 403
