"""Debian's nginx with ``auth_request`` in front of a protected application and a live bridge
(issue 12): who passes, who is refused, and what the lockout counts."""

from __future__ import annotations

import pytest
import requests

from bridge.services.app_password_values import NewAppPassword, Origin
from bridge.services.lockout import LockoutPolicy
from tests.e2e.factor_life import OPERATOR, code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page
from tests.forward_auth.conftest import Proxied

pytestmark = pytest.mark.real_http("nginx reaches the bridge over a real socket")


def _app_password(live: LiveBridge, user_id: str, comment: str = "Backup") -> NewAppPassword:
    return live.services.app_passwords.create_own(user_id, comment, None, Origin(user_id))


def _get(
    proxied: Proxied, auth: tuple[str, str] | None = None, **headers: str
) -> requests.Response:
    return requests.get(
        proxied.proxy.url + "/reports",
        auth=auth,
        headers=headers,
        allow_redirects=False,
        timeout=10,
    )


def test_an_app_password_passes_and_updates_last_used(proxied: Proxied) -> None:
    live = proxied.bridge
    user_id, _ = enrolled_user(live, "ada")
    new = _app_password(live, user_id)
    response = _get(proxied, ("ada", new.secret))
    assert response.status_code == 200, response.text
    assert response.json()["user"] == "ada" and response.json()["path"] == "/reports"
    [listed] = live.services.app_passwords.list_own(user_id)
    assert listed.last_used_at is not None and listed.last_used_ip == "127.0.0.1"
    assert live.audit("app_password_used", user_id)


def test_a_revoked_or_wrong_app_password_is_401_with_a_challenge(proxied: Proxied) -> None:
    live = proxied.bridge
    user_id = live.add_user("ada")
    new = _app_password(live, user_id)
    live.services.app_passwords.revoke_own(user_id, new.view.id, Origin(user_id))
    for password in (new.secret, "wrong-password"):
        response = _get(proxied, ("ada", password))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="bridge"')


def test_the_plain_password_of_a_2fa_user_is_401(proxied: Proxied) -> None:
    live = proxied.bridge
    enrolled_user(live, "ada")
    assert _get(proxied, ("ada", PASSWORD)).status_code == 401


def test_a_locked_user_is_401_even_with_a_right_app_password(proxied: Proxied) -> None:
    live = proxied.bridge
    user_id = live.add_user("ada")
    new = _app_password(live, user_id)
    live.services.lockout.lock(user_id, reason="admin")
    assert _get(proxied, ("ada", new.secret)).status_code == 401


def test_wrong_basic_passwords_count_toward_the_lock(proxied: Proxied) -> None:
    live = proxied.bridge
    user_id = live.add_user("ada")
    new = _app_password(live, user_id)
    for _ in range(LockoutPolicy().password_failures):
        assert _get(proxied, ("ada", "not-the-password")).status_code == 401
    assert live.services.lockout.is_locked(user_id)
    assert _get(proxied, ("ada", new.secret)).status_code == 401
    assert live.audit("account_locked", user_id)


def test_an_organisation_that_forbids_app_passwords_stops_them(proxied: Proxied) -> None:
    live = proxied.bridge
    user_id = live.add_user("ada")
    new = _app_password(live, user_id)
    live.services.orgs.create(OPERATOR, "acme", "Acme", kind="standalone", mode="production")
    live.services.members.add(OPERATOR, "acme", "ada", "member")
    live.services.orgs.update_policy(OPERATOR, "acme", {"app_passwords_allowed": False})
    assert _get(proxied, ("ada", new.secret)).status_code == 401


def test_a_service_accounts_app_password_passes_and_names_its_roles(proxied: Proxied) -> None:
    live = proxied.bridge
    live.add_user("robot")
    live.services.orgs.create(OPERATOR, "acme", "Acme", kind="standalone", mode="production")
    live.services.members.add(OPERATOR, "acme", "robot", "member")
    live.services.members.to_service_account(OPERATOR, "acme", "robot")
    new = live.services.app_passwords.create_for(OPERATOR, "acme", "robot", "CI", None)
    response = _get(proxied, ("robot", new.secret))
    assert response.status_code == 200
    assert response.json()["roles"] == "member@acme"
    assert _get(proxied, ("robot", PASSWORD)).status_code == 401


def test_a_browser_session_passes_and_a_browser_without_one_is_sent_to_sign_in(
    proxied: Proxied,
) -> None:
    live = proxied.bridge
    _, secret = enrolled_user(live, "ada")
    browser = Browser(stop_at=proxied.proxy.url)
    first = browser.http.get(
        proxied.proxy.url + "/reports?x=1", headers={"Accept": "text/html"}, allow_redirects=False
    )
    assert first.status_code == 302
    assert first.headers["Location"].startswith(live.url + "/forward-auth/sign-in?rd=")
    page = browser.open(first.headers["Location"])
    assert isinstance(page, Page)
    page = browser.submit(username="ada", password=PASSWORD)
    assert isinstance(page, Page)
    landed = browser.submit(code=code_of(live, secret))
    assert landed == proxied.proxy.url + "/reports?x=1"
    response = browser.http.get(landed, headers={"Accept": "text/html"}, allow_redirects=False)
    assert response.status_code == 200 and response.json()["user"] == "ada"


def test_a_client_cannot_smuggle_identity_headers(proxied: Proxied) -> None:
    response = _get(proxied, None, **{"X-Bridge-User": "admin", "Accept": "application/json"})
    assert response.status_code == 401


def test_a_malformed_basic_header_is_401(proxied: Proxied) -> None:
    for header in ("Basic !!!", "Basic " + "QQ==", "Digest abc", "Basic"):
        response = _get(proxied, None, Authorization=header)
        assert response.status_code == 401, header


def test_identity_headers_a_client_sends_are_replaced(proxied: Proxied) -> None:
    live = proxied.bridge
    user_id = live.add_user("ada")
    new = _app_password(live, user_id)
    response = _get(proxied, ("ada", new.secret), **{"X-Bridge-User": "admin"})
    assert response.status_code == 200 and response.json()["user"] == "ada"
