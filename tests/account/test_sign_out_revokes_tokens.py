"""Signing out everywhere ends what relying parties hold too: their refresh tokens and the
access tokens issued under them (also after resetting the key or deactivating the device).

Real HTTP between a relying party, a browser and the bridge, on SQLite with the in-process
store and on PostgreSQL with Redis.
"""

from __future__ import annotations

from typing import Any

import pytest

from bridge.storage.db.models import Grant
from tests.e2e.factor_life import code_of, enrolled_user
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, callback_params

pytestmark = pytest.mark.postgres(
    "revocation reaches grants in the database and sessions and codes in the store (Redis)"
)


def _signed_in_app(
    live: LiveBridge, rp: RelyingParty, browser: Browser, username: str, secret: str
) -> dict[str, str]:
    """Sign in at the relying party (password and code); return the callback's parameters."""
    request = rp.authorization_request()
    browser.open(request.url)
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page), page
    landed = browser.submit(code=code_of(live, secret))
    assert isinstance(landed, str), browser.page.html[:500] if browser.page else landed
    live.clock.advance(30)  # the next code is a new time-step
    return {**callback_params(landed), "verifier": request.verifier}


def _tokens(rp: RelyingParty, params: dict[str, str]) -> dict[str, Any]:
    response = rp.exchange(params["code"], params["verifier"])
    assert response.status_code == 200, response.text
    return dict(response.json())


def _account_post(live: LiveBridge, browser: Browser, path: str, **fields: str) -> Page:
    page = browser.open(live.url + "/account")
    assert isinstance(page, Page) and page.title == "Your account", page.html[:500]
    token = page.soup.find("input", attrs={"name": "csrf_token"})
    assert token is not None
    response = browser.http.post(
        live.url + path, data={"csrf_token": str(token["value"]), **fields}, allow_redirects=False
    )
    result = browser._follow(response)
    assert isinstance(result, Page) and result.title == "You are signed out", result
    return result


def _introspect(rp: RelyingParty, token: str) -> dict[str, Any]:
    response = rp.http.post(
        rp.metadata["introspection_endpoint"],
        data={"token": token},
        auth=(rp.client_id, rp.client_secret or ""),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _assert_dead(rp: RelyingParty, tokens: dict[str, Any]) -> None:
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert _introspect(rp, tokens["access_token"]) == {"active": False}
    assert _introspect(rp, tokens["refresh_token"]) == {"active": False}
    assert rp.userinfo(tokens["access_token"]).status_code == 401


def _grant_of(live: LiveBridge, tokens: dict[str, Any]) -> Grant:
    info = live.services.tokens.refresh_token(tokens["refresh_token"])
    assert info is not None
    grant = live.services.tokens.grant(info.grant_id)
    assert grant is not None
    return grant


def test_signing_out_everywhere_ends_the_apps_refresh_and_access_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser, browsers: Any
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    tokens = _tokens(rp, _signed_in_app(live, rp, browser, "ada", secret))
    # A second application session of the same user, rotated once: its current pair dies too.
    other = _tokens(rp, _signed_in_app(live, rp, browsers(), "ada", secret))
    rotated = rp.refresh(other["refresh_token"])
    assert rotated.status_code == 200
    other = rotated.json()
    assert _introspect(rp, tokens["access_token"])["active"] is True

    _account_post(live, browser, "/account/sign-out-everywhere")

    _assert_dead(rp, tokens)
    _assert_dead(rp, other)
    [event] = live.audit("signed_out", user_id)
    assert event.reason == "everywhere" and event.details == {"grants_revoked": 2}
    assert _grant_of(live, tokens).revoked_reason == "signed_out_everywhere"


def test_another_users_tokens_stay_valid_when_one_signs_out_everywhere(
    live: LiveBridge, rp: RelyingParty, browsers: Any
) -> None:
    _, ada_secret = enrolled_user(live, "ada")
    _, bob_secret = enrolled_user(live, "bob")
    ada = browsers()
    _signed_in_app(live, rp, ada, "ada", ada_secret)
    bob = _tokens(rp, _signed_in_app(live, rp, browsers(), "bob", bob_secret))

    _account_post(live, ada, "/account/sign-out-everywhere")

    assert _introspect(rp, bob["access_token"])["active"] is True
    assert rp.userinfo(bob["access_token"]).json()["preferred_username"] == "bob"
    assert rp.refresh(bob["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("path", "reason"),
    [("/account/reset-key", "self_service"), ("/account/deactivate-device", "device_deactivated")],
)
def test_resetting_the_key_or_deactivating_the_device_ends_the_apps_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser, path: str, reason: str
) -> None:
    user_id, secret = enrolled_user(live, "ada")
    tokens = _tokens(rp, _signed_in_app(live, rp, browser, "ada", secret))

    _account_post(live, browser, path, code=code_of(live, secret))

    _assert_dead(rp, tokens)
    [event] = live.audit("mfa_reset", user_id)
    assert event.reason == reason and event.details == {"grants_revoked": 1}
    assert _grant_of(live, tokens).revoked_reason == f"mfa_reset_{reason}"


def test_a_code_issued_before_signing_out_everywhere_gets_no_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    _, secret = enrolled_user(live, "ada")
    pending = _signed_in_app(live, rp, browser, "ada", secret)

    _account_post(live, browser, "/account/sign-out-everywhere")

    response = rp.exchange(pending["code"], pending["verifier"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_after_signing_out_everywhere_a_new_login_gets_working_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser, browsers: Any
) -> None:
    _, secret = enrolled_user(live, "ada")
    _signed_in_app(live, rp, browser, "ada", secret)
    _account_post(live, browser, "/account/sign-out-everywhere")
    live.clock.advance(1)

    tokens = _tokens(rp, _signed_in_app(live, rp, browsers(), "ada", secret))

    assert rp.userinfo(tokens["access_token"]).json()["preferred_username"] == "ada"
    assert rp.refresh(tokens["refresh_token"]).status_code == 200


def test_a_code_redeemed_while_the_user_signs_out_everywhere_leaves_no_live_grant(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    """The race the code check alone would miss: the code passed the check, then the user
    signed out everywhere, then its grant was recorded."""
    tokens = live.services.tokens
    _, secret = enrolled_user(live, "ada")
    pending = _signed_in_app(live, rp, browser, "ada", secret)
    redeemed = tokens.redeem_code(pending["code"], rp.client_id)
    assert redeemed is not None

    assert tokens.revoke_user_grants(redeemed.user_id, "device_deactivated") == 0
    tokens.open_grant(redeemed)

    grant = tokens.grant(redeemed.grant_id)
    assert grant is not None and grant.revoked_reason == "device_deactivated"
