"""A fresh authentication through two bridges over real HTTP: the relying party's ``max_age`` and
``prompt=login`` reach the upstream bridge, and the ``auth_time`` it gets is when Jane really
authenticated, upstream, not when the downstream bridge heard of it.

Jane signs in at the upstream bridge first (its own account page: password and TOTP enrolment);
then the shared clock moves an hour on, so her upstream session is an hour old.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from bridge.storage.db.engine import Database
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
from tests.federation.two_bridges import downstream_bridge, upstream_authorization_url

JANE = "jane@sso.example"
AN_HOUR = 3600


pytestmark = pytest.mark.real_http(
    "two bridges: the downstream one calls the upstream one over HTTP"
)


@pytest.fixture
def downstream(
    live: LiveBridge,
    downstream_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LiveBridge]:
    with downstream_bridge(live, downstream_database, tmp_path, monkeypatch) as bridge:
        yield bridge


@pytest.fixture
def app(downstream: LiveBridge) -> RelyingParty:
    client_id, secret = downstream.add_client()
    return RelyingParty(downstream.url, client_id, secret, now=downstream.clock)


@pytest.fixture
def secret(live: LiveBridge, browser: Browser) -> str:
    """Jane signed in at the upstream bridge an hour ago; her TOTP secret there."""
    live.services.users.create("jane", email=JANE, password=PASSWORD)
    page = browser.open(f"{live.url}/account")
    assert isinstance(page, Page) and page.title == "Sign in"
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    secret = enrolment_secret(page)
    page = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(page, Page) and page.title == "Your account"
    live.clock.advance(AN_HOUR)
    return secret


def sign_in_again_upstream(
    live: LiveBridge, browser: Browser, page: Page | str, secret: str
) -> str:
    """The upstream bridge asks Jane's password and code again; where the browser lands."""
    assert isinstance(page, Page) and page.url.startswith(live.url), page
    assert page.title == "Sign in", "the upstream session does not count"
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    landed = browser.submit(code=totp_code(secret, live.clock))
    assert isinstance(landed, str), browser.page
    return landed


def id_token_claims(
    app: RelyingParty, landed: str, request_nonce: str, verifier: str
) -> dict[str, Any]:
    tokens = app.exchange(callback_params(landed)["code"], verifier).json()
    return app.id_token_claims(tokens["id_token"], request_nonce)


def test_without_prompt_or_max_age_the_upstream_session_is_reused_with_its_auth_time(
    live: LiveBridge, app: RelyingParty, browser: Browser, secret: str
) -> None:
    signed_in_upstream = int(live.clock()) - AN_HOUR
    request = app.authorization_request(login_hint=JANE)

    landed = browser.open(request.url)

    assert isinstance(landed, str), "no page, here or upstream: her upstream session counts"
    claims = id_token_claims(app, landed, request.nonce, request.verifier)
    assert claims["amr"] == ["fed"]
    assert claims["auth_time"] == signed_in_upstream, "when she signed in, not now"


def test_max_age_goes_upstream_and_the_id_token_says_when_she_signed_in_again(
    live: LiveBridge, app: RelyingParty, browser: Browser, secret: str
) -> None:
    request = app.authorization_request(login_hint=JANE, max_age="60")

    upstream = upstream_authorization_url(browser, request.url, live.url)

    assert parse_qs(urlsplit(upstream).query)["max_age"] == ["60"]
    page = browser.open(upstream)
    live.clock.advance(20)  # she types her password and code
    landed = sign_in_again_upstream(live, browser, page, secret)
    claims = id_token_claims(app, landed, request.nonce, request.verifier)
    assert claims["auth_time"] == int(live.clock())


def test_prompt_login_goes_upstream_and_the_id_token_says_when_she_signed_in_again(
    live: LiveBridge, app: RelyingParty, browser: Browser, secret: str
) -> None:
    request = app.authorization_request(login_hint=JANE, prompt="login")

    upstream = upstream_authorization_url(browser, request.url, live.url)

    assert parse_qs(urlsplit(upstream).query)["prompt"] == ["login"]
    page = browser.open(upstream)
    live.clock.advance(20)
    landed = sign_in_again_upstream(live, browser, page, secret)
    claims = id_token_claims(app, landed, request.nonce, request.verifier)
    assert claims["auth_time"] == int(live.clock())


def test_the_bridge_session_of_a_federated_login_is_as_old_as_the_upstream_authentication(
    live: LiveBridge, app: RelyingParty, browser: Browser, secret: str
) -> None:
    first = app.authorization_request(login_hint=JANE)
    assert isinstance(browser.open(first.url), str), "her upstream session, an hour old"

    # A bridge session that said "authenticated just now" would be reused here; it is an hour
    # old, so max_age=600 sends her upstream, where she signs in again.
    request = app.authorization_request(login_hint=JANE, max_age="600")
    page = browser.open(request.url)

    landed = sign_in_again_upstream(live, browser, page, secret)
    claims = id_token_claims(app, landed, request.nonce, request.verifier)
    assert claims["auth_time"] == int(live.clock())


def test_a_provider_that_ignores_max_age_is_refused_with_an_error_page_and_audited(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser, secret: str
) -> None:
    request = app.authorization_request(login_hint=JANE, max_age="60")
    upstream = upstream_authorization_url(browser, request.url, live.url)
    # The provider never sees max_age (as if it ignored it): it reuses the hour-old session.
    parts = urlsplit(upstream)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "max_age"}

    page = browser.open(urlunsplit(parts._replace(query=urlencode(query))))

    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.status == 400 and page.title == "Sign-in did not work"
    assert "did not confirm a fresh sign-in" in page.html
    failed = downstream.audit("sign_in_failed")[-1]
    assert failed.reason == "stale_authentication" and failed.mfa_factor_type == "federated"
    assert not downstream.audit("sign_in_succeeded")


def test_the_account_page_does_not_take_an_hour_old_upstream_session_as_a_fresh_login(
    live: LiveBridge, downstream: LiveBridge, browser: Browser, secret: str
) -> None:
    page = browser.open(f"{downstream.url}/account")
    assert isinstance(page, Page) and page.title == "Sign in"

    # Her upstream session is an hour old: the account page needs a login of the last ten
    # minutes and says so upstream (max_age), so she signs in there again, once.
    page = browser.submit(username=JANE)
    assert isinstance(page, Page) and page.url.startswith(live.url)
    assert page.title == "Sign in", "her hour-old upstream session does not count"
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    page = browser.submit(code=totp_code(secret, live.clock))

    assert isinstance(page, Page) and page.url == f"{downstream.url}/account"
    assert page.title == "Your account"
