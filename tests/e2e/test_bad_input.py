"""Bad input gets the documented error and changes nothing."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.harness import (
    CALLBACK,
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    first_login,
    totp_code,
)
from tests.e2e.test_login import enrol

INVALID_CODE = "Invalid code. Enter the current 6-digit code from your authenticator app."


def at_code_page(live: LiveBridge, rp: RelyingParty, username: str) -> tuple[Browser, str]:
    """An enrolled user, a fresh browser, stopped at the code page of a new login."""
    live.add_user(username)
    secret = enrol(live, rp, Browser(), username)
    browser = Browser()
    browser.open(rp.authorization_request().url)
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    return browser, secret


@pytest.mark.parametrize(
    "bad_code",
    ["abcdef", "12345", "1234567", "١٢٣٤٥٦", "１２３４５６", "", "12 34 5"],
    ids=[
        "letters",
        "five-digits",
        "seven-digits",
        "arabic-indic",
        "fullwidth",
        "empty",
        "spaced-5",
    ],
)
def test_a_malformed_code_is_refused_and_signs_nobody_in(
    live: LiveBridge, rp: RelyingParty, bad_code: str
) -> None:
    browser, _ = at_code_page(live, rp, "mal")
    page = browser.submit(code=bad_code)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    assert page.errors and "code" in page.errors[0].lower()
    assert "bridge_session" not in browser.http.cookies


@pytest.mark.parametrize("offset", [-2, 2], ids=["stale", "future"])
def test_a_code_outside_one_step_of_drift_is_refused(
    live: LiveBridge, rp: RelyingParty, offset: int
) -> None:
    browser, secret = at_code_page(live, rp, "drift")
    page = browser.submit(code=totp_code(secret, live.clock, offset))
    assert isinstance(page, Page) and page.errors == [INVALID_CODE]


def test_a_code_within_one_step_of_drift_is_accepted(live: LiveBridge, rp: RelyingParty) -> None:
    browser, secret = at_code_page(live, rp, "drifty")
    # Enrolment spent the current step; two steps later, the previous one is fresh and in reach.
    live.clock.advance(60)
    landed = browser.submit(code=totp_code(secret, live.clock, -1))
    assert isinstance(landed, str) and "code=" in landed


@pytest.mark.postgres("replay is refused by a record in the store: Redis must refuse it too")
def test_a_code_already_used_cannot_be_used_again(live: LiveBridge, rp: RelyingParty) -> None:
    live.add_user("replay")
    secret = enrol(live, rp, Browser(), "replay")
    browser = Browser()
    browser.open(rp.authorization_request().url)
    browser.submit(username="replay", password=PASSWORD)
    # The enrolment confirmed this time-step's code: it may not be replayed.
    page = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(page, Page) and page.errors == [INVALID_CODE]
    failures = live.audit("sign_in_failed")
    assert [(e.reason, e.mfa_factor_type) for e in failures] == [("invalid_code", "totp")]


@pytest.mark.postgres("replay is refused by a record in the store: Redis must refuse it too")
def test_a_replayed_authorization_code_is_refused_and_revokes_its_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "codey")
    code = params["code"]
    first = rp.exchange(code, request.verifier)
    assert first.status_code == 200
    tokens = first.json()

    second = rp.exchange(code, request.verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    assert rp.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_authorization_code_expires_after_sixty_seconds(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "slow")
    live.clock.advance(61)
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def signed_in_code(live: LiveBridge, rp: RelyingParty, browser: Browser, **extra: str) -> str:
    """A browser with a session, and a fresh authorization code for ``extra`` parameters."""
    request = rp.authorization_request(**extra)
    landed = browser.open(request.url)
    assert isinstance(landed, str), browser.page
    return callback_params(landed)["code"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "PKCE is required"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": None}, "S256"),
    ],
    ids=["missing", "plain", "method-omitted"],
)
def test_authorization_requests_without_s256_pkce_are_refused(
    live: LiveBridge, rp: RelyingParty, browser: Browser, change: dict[str, str | None], error: str
) -> None:
    request = rp.authorization_request()
    prepared = requests.Request("GET", request.url).prepare()
    query = callback_params(str(prepared.url))
    for key, value in change.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    url = requests.Request("GET", rp.metadata["authorization_endpoint"], params=query).prepare().url
    landed = browser.open(str(url))
    assert isinstance(landed, str)
    params = callback_params(landed)
    assert params["error"] == "invalid_request"
    assert error in params["error_description"]
    assert params["iss"] == live.url


def test_the_token_endpoint_needs_the_right_pkce_verifier(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("pkce")
    enrol(live, rp, browser, "pkce")
    missing = rp.exchange(signed_in_code(live, rp, browser), None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = rp.exchange(signed_in_code(live, rp, browser), "x" * 64)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        CALLBACK + "/",
        CALLBACK.upper().replace("HTTP", "http"),
        CALLBACK + "?x=1",
        "https://evil.example/cb",
    ],
    ids=["trailing-slash", "case", "query", "foreign"],
)
def test_a_redirect_uri_that_is_not_registered_exactly_gets_an_error_page_not_a_redirect(
    live: LiveBridge, rp: RelyingParty, browser: Browser, redirect_uri: str
) -> None:
    rp.redirect_uri = redirect_uri
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page), "never redirect to an unregistered URI"
    assert page.status == 400
    assert "not supported" in page.html


def test_an_unknown_client_gets_an_error_page(live: LiveBridge, browser: Browser) -> None:
    rp = RelyingParty(live.url, "no-such-client", "secret", now=live.clock)
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.status == 400
    assert "client does not exist" in page.html


@pytest.mark.postgres("replay is refused by a record in the store: Redis must refuse it too")
def test_a_reused_refresh_token_revokes_the_whole_family(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "fam")
    first = rp.exchange(params["code"], request.verifier).json()

    rotated = rp.refresh(first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]

    reuse = rp.refresh(first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # The attacker's copy and the victim's current token both die.
    assert rp.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"
    assert rp.userinfo(second["access_token"]).status_code == 401


def test_a_flow_id_from_another_browser_is_refused(live: LiveBridge, rp: RelyingParty) -> None:
    live.add_user("owner")
    owner = Browser()
    page = owner.open(rp.authorization_request().url)
    assert isinstance(page, Page)

    thief = Browser()
    stolen = thief.open(page.url)
    assert isinstance(stolen, Page) and stolen.status == 400
    assert "another browser" in stolen.html

    page = owner.submit(username="owner", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    live.add_user("csrf")
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page)
    fields = page.form_fields()
    fields.pop("csrf_token")
    response = browser.post_raw(
        page.form_action(), {**fields, "username": "csrf", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "security token" in response.text
    assert live.audit("sign_in_failed") == [] and live.audit("sign_in_succeeded") == []
    again = browser.open(page.url)
    assert isinstance(again, Page) and again.title == "Sign in"


def test_revoked_tokens_are_inactive_at_introspection(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "intro")
    tokens = rp.exchange(params["code"], request.verifier).json()
    auth = (rp.client_id, rp.client_secret)

    active = rp.http.post(
        rp.metadata["introspection_endpoint"], data={"token": tokens["access_token"]}, auth=auth
    ).json()
    assert active["active"] is True and active["username"] == "intro"

    revoked = rp.http.post(
        rp.metadata["revocation_endpoint"],
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=auth,
    )
    assert revoked.status_code == 200
    for token in (tokens["access_token"], tokens["refresh_token"]):
        state = rp.http.post(
            rp.metadata["introspection_endpoint"], data={"token": token}, auth=auth
        ).json()
        assert state == {"active": False}


def test_rp_initiated_logout_ends_the_session_and_returns_to_the_app(
    live: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    request, params = first_login(live, rp, browser, "bye")
    tokens = rp.exchange(params["code"], request.verifier).json()

    logout = requests.Request(
        "GET",
        rp.metadata["end_session_endpoint"],
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:9/signed-out",
            "state": "s1",
        },
    ).prepare()
    landed = browser.open(str(logout.url))
    assert landed == "http://127.0.0.1:9/signed-out?state=s1"
    page = browser.open(rp.authorization_request().url)
    assert isinstance(page, Page) and page.title == "Sign in"
