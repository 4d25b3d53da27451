"""End to end over real HTTP: a downstream bridge signs people in through an upstream bridge.

The upstream bridge (``live``: SQLite + memory, or PostgreSQL + Redis) is the SSO provider of
the domain ``sso.example``; the downstream bridge (its own SQLite database) has it configured
as the identity provider ``upstream`` and a relying party of its own. Both run on real ports
and share the test clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import select

from bridge.services.container import Services
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
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
from tests.federation.two_bridges import (
    ALIAS,
    downstream_bridge,
    sign_in_upstream,
    upstream_authorization_url,
    without_loops,
)


def _verify_email(services: Services, user_id: str) -> None:
    with services.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.email_verified = True


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
    """A second bridge with the upstream bridge as its provider for ``sso.example``."""
    with downstream_bridge(live, downstream_database, tmp_path, monkeypatch) as bridge:
        yield bridge


@pytest.fixture
def app(downstream: LiveBridge) -> RelyingParty:
    client_id, secret = downstream.add_client()
    return RelyingParty(downstream.url, client_id, secret, now=downstream.clock)


def test_an_sso_user_is_sent_upstream_by_domain_and_gets_fed_tokens_without_a_code_here(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    request = app.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in"
    assert "Log in with Upstream" in page.html

    upstream_page = browser.submit(username="jane@sso.example", password="")
    landed = sign_in_upstream(live, browser, upstream_page)

    assert isinstance(landed, str), browser.page
    params = callback_params(landed)
    assert params["state"] == request.state and params["iss"] == downstream.url
    tokens = app.exchange(params["code"], request.verifier).json()
    claims = app.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["amr"] == ["fed"]
    assert claims["acr"] == "urn:bridge:loa:1"
    assert downstream.audit("sign_in_succeeded")[-1].mfa_factor_type == "federated"
    assert not downstream.audit("mfa_setup_succeeded"), "never a TOTP step downstream"

    # The next login of the same browser reuses the downstream session, and a new browser
    # reuses the link (the same downstream user).
    again = app.authorization_request()
    assert isinstance(browser.open(again.url), str)
    second = Browser()
    second.open(app.authorization_request().url)
    upstream_page = second.submit(username="jane@sso.example", password="")
    assert isinstance(upstream_page, Page) and upstream_page.title == "Sign in"
    page = second.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title != "Set up two-factor authentication"
    second.http.close()


def test_a_local_user_of_the_downstream_bridge_is_still_asked_for_a_code(
    downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    downstream.add_user("lena")
    browser.open(app.authorization_request().url)
    page = browser.submit(username="lena", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"


def test_a_level_the_federated_login_does_not_reach_is_the_oidc_error(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    request = app.authorization_request(acr_values="urn:bridge:loa:2")
    browser.open(request.url)
    landed = sign_in_upstream(live, browser, browser.submit(username="jane@sso.example"))
    assert isinstance(landed, str)
    assert callback_params(landed)["error"] == "unmet_authentication_requirements"


def _upstream_authorization(browser: Browser, app: RelyingParty) -> dict[str, str]:
    """Start a login and stop at the upstream's authorization request: its parameters."""
    downstream_url = app.issuer
    browser.open(app.authorization_request().url)
    page = browser.page
    assert page is not None
    response = browser.post_raw(
        page.form_action(), {**page.form_fields(), "username": "jane@sso.example"}
    )
    start = urljoin(downstream_url, response.headers["Location"])
    upstream = browser.http.get(start, allow_redirects=False).headers["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(upstream).query).items()}


def test_an_upstream_error_answer_shows_its_message_and_is_audited(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    upstream = _upstream_authorization(browser, app)
    query = {"error": "access_denied", "state": upstream["state"], "iss": live.url}
    page = browser.open(f"{downstream.url}/federation/{ALIAS}/callback?{urlencode(query)}")

    assert isinstance(page, Page) and page.status == 400
    assert "The sign-in was cancelled at the provider." in page.html
    failed = downstream.audit("sign_in_failed")[-1]
    assert failed.mfa_factor_type == "federated" and failed.reason == "upstream_refused"


def test_a_tampered_state_shows_the_error_page_and_is_audited(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    upstream = _upstream_authorization(browser, app)
    query = {"code": "x", "state": upstream["state"] + "x", "iss": live.url}
    page = browser.open(f"{downstream.url}/federation/{ALIAS}/callback?{urlencode(query)}")

    assert isinstance(page, Page) and page.status == 400
    assert "Traceback" not in page.html
    assert downstream.audit("sign_in_failed")[-1].reason == "invalid_state"


def test_a_callback_opened_in_another_browser_is_refused(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    upstream = _upstream_authorization(browser, app)
    query = {"code": "x", "state": upstream["state"], "iss": live.url}
    other = Browser()
    page = other.open(f"{downstream.url}/federation/{ALIAS}/callback?{urlencode(query)}")
    other.http.close()

    assert isinstance(page, Page) and page.status == 400
    assert downstream.audit("sign_in_failed")[-1].reason == "invalid_state"


def test_a_verified_email_links_only_after_the_local_password_and_code(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    upstream_jane = live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    _verify_email(live.services, upstream_jane.id)
    local = downstream.services.users.create(
        "jane.local", email="jane@sso.example", password=PASSWORD
    )
    _verify_email(downstream.services, local.id)
    request = app.authorization_request()
    browser.open(request.url)

    page = sign_in_upstream(live, browser, browser.submit(username="jane@sso.example"))

    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.title == "Sign in" and "link" in page.html
    assert not downstream.audit("federated_identity_linked"), "nothing linked before the proof"
    page = browser.submit(username="jane.local", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    landed = browser.submit(code=totp_code(enrolment_secret(page), downstream.clock))
    assert isinstance(landed, str), browser.page

    tokens = app.exchange(callback_params(landed)["code"], request.verifier).json()
    claims = app.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["sub"] == local.id and claims["amr"] == ["fed"]
    assert downstream.audit("federated_identity_linked", local.id)
    with downstream.services.db.session() as session:
        assert session.scalars(select(User)).all().__len__() == 1, "no second account"


def test_a_local_proof_of_an_sso_username_signs_in_here_instead_of_bouncing_upstream(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    upstream_jane = live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    _verify_email(live.services, upstream_jane.id)
    local = downstream.services.users.create(
        "jane@sso.example", email="jane@sso.example", password=PASSWORD
    )
    _verify_email(downstream.services, local.id)
    request = app.authorization_request(login_hint="jane@sso.example")
    page = without_loops(browser).open(request.url)

    page = sign_in_upstream(live, browser, page)

    # The local account's username is the SSO e-mail: its proof is asked here, not upstream.
    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.title == "Sign in" and page.form_fields()["username"] == "jane@sso.example"
    page = browser.submit(password=PASSWORD)
    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.title == "Set up two-factor authentication"
    landed = browser.submit(code=totp_code(enrolment_secret(page), downstream.clock))
    assert isinstance(landed, str), browser.page
    tokens = app.exchange(callback_params(landed)["code"], request.verifier).json()
    claims = app.id_token_claims(tokens["id_token"], request.nonce)
    assert claims["sub"] == local.id and claims["amr"] == ["fed"]
    assert downstream.audit("federated_identity_linked", local.id)


def test_the_local_proof_as_another_account_links_nothing(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    upstream_jane = live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    _verify_email(live.services, upstream_jane.id)
    local = downstream.services.users.create(
        "jane.local", email="jane@sso.example", password=PASSWORD
    )
    _verify_email(downstream.services, local.id)
    downstream.add_user("mallory")
    browser.open(app.authorization_request().url)
    sign_in_upstream(live, browser, browser.submit(username="jane@sso.example"))

    page = browser.submit(username="mallory", password=PASSWORD)
    if isinstance(page, Page) and page.title == "Set up two-factor authentication":
        page = browser.submit(code=totp_code(enrolment_secret(page), downstream.clock))

    assert isinstance(page, Page) and page.title == "Nothing was linked"
    assert not downstream.audit("federated_identity_linked")


def test_logout_at_the_bridge_ends_the_upstream_session_too(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    request = app.authorization_request()
    browser.open(request.url)
    landed = sign_in_upstream(live, browser, browser.submit(username="jane@sso.example"))
    assert isinstance(landed, str)
    tokens = app.exchange(callback_params(landed)["code"], request.verifier).json()

    query = {
        "id_token_hint": tokens["id_token"],
        "post_logout_redirect_uri": "http://127.0.0.1:9/signed-out",
        "state": "bye",
    }
    assert browser.open(f"{downstream.url}/logout?{urlencode(query)}") == (
        "http://127.0.0.1:9/signed-out?state=bye"
    )

    browser.open(app.authorization_request().url)
    page = browser.submit(username="jane@sso.example")
    assert isinstance(page, Page) and page.url.startswith(live.url)
    assert page.title == "Sign in", "the upstream session ended as well"


# --- the request points upstream: login_hint, kc_idp_hint / idp_hint, prompt=none -------------


def test_an_sso_login_hint_goes_straight_upstream_without_a_page_here(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    request = app.authorization_request(login_hint="jane@sso.example")

    page = browser.open(request.url)

    assert isinstance(page, Page) and page.url.startswith(live.url), "no sign-in page here"
    assert page.title == "Sign in"
    assert page.form_fields()["username"] == "jane@sso.example", "the hint is passed upstream"
    landed = sign_in_upstream(live, browser, page)
    assert isinstance(landed, str), browser.page
    params = callback_params(landed)
    assert params["state"] == request.state
    tokens = app.exchange(params["code"], request.verifier).json()
    assert app.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["fed"]
    assert not downstream.audit("sign_in_failed")


@pytest.mark.parametrize("hint", ["kc_idp_hint", "idp_hint"])
def test_an_idp_hint_goes_straight_to_that_provider(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser, hint: str
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    request = app.authorization_request(**{hint: ALIAS})

    page = browser.open(request.url)

    assert isinstance(page, Page) and page.url.startswith(live.url), "no sign-in page here"
    landed = sign_in_upstream(live, browser, page)
    assert isinstance(landed, str), browser.page
    params = callback_params(landed)
    tokens = app.exchange(params["code"], request.verifier).json()
    assert app.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["fed"]


def test_an_unknown_idp_hint_shows_the_sign_in_page_here(
    downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    page = browser.open(app.authorization_request(kc_idp_hint="nowhere").url)

    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.status == 200 and page.title == "Sign in"


def test_prompt_none_with_an_sso_login_hint_and_no_session_is_login_required(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    request = app.authorization_request(login_hint="jane@sso.example", prompt="none")

    landed = browser.open(request.url)

    assert isinstance(landed, str), "answered at once, without any page, here or upstream"
    params = callback_params(landed)
    assert params["error"] == "login_required" and params["state"] == request.state
    assert "code" not in params


# --- two logins in one browser, and the browser that started a login ----------------------------


def test_two_federated_logins_in_one_browser_each_finish_for_their_own_request(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    first = app.authorization_request(login_hint="jane@sso.example")
    second = app.authorization_request(kc_idp_hint=ALIAS)
    # Two tabs: both leave for the provider before either comes back.
    first_upstream = upstream_authorization_url(browser, first.url, live.url)
    second_upstream = upstream_authorization_url(browser, second.url, live.url)
    cookies = [c for c in browser.http.cookies if c.name.startswith("bridge_federation_")]
    assert len(cookies) == 2, "one cookie per upstream login"
    assert all(c.path == "/federation/" and c.has_nonstandard_attr("HttpOnly") for c in cookies)

    # The second tab signs in upstream and comes back first ...
    landed = sign_in_upstream(live, browser, browser.open(second_upstream))
    assert isinstance(landed, str), browser.page
    second_params = callback_params(landed)
    # ... then the first tab's provider answers (the upstream session is there now).
    landed = browser.open(first_upstream)
    assert isinstance(landed, str), browser.page
    first_params = callback_params(landed)

    for request, params in ((first, first_params), (second, second_params)):
        assert params["state"] == request.state
        tokens = app.exchange(params["code"], request.verifier).json()
        claims = app.id_token_claims(tokens["id_token"], request.nonce)
        assert claims["amr"] == ["fed"]
    assert not downstream.audit("sign_in_failed")
    # Each came back from the provider: each is a sign-in of its own, even with one upstream
    # session (and so one upstream auth_time) behind both.
    assert len(downstream.audit("sign_in_succeeded")) == 2
    assert not [c for c in browser.http.cookies if c.name.startswith("bridge_federation_")]


def test_a_callback_is_refused_in_a_browser_with_its_own_login_in_progress(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    victims = Browser()
    attacker = _upstream_authorization(browser, app)
    _upstream_authorization(victims, app)  # the victim's own login, with its own cookie
    query = {"code": "x", "state": attacker["state"], "iss": live.url}

    page = victims.open(f"{downstream.url}/federation/{ALIAS}/callback?{urlencode(query)}")
    victims.http.close()

    assert isinstance(page, Page) and page.status == 400
    assert downstream.audit("sign_in_failed")[-1].reason == "invalid_state"
    assert not downstream.audit("sign_in_succeeded")


# --- how a federated login ends: disabled, misconfigured, the account page, the console ---------


def test_a_disabled_account_linked_to_the_upstream_subject_is_stopped_and_audited(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    browser.open(app.authorization_request().url)
    page = browser.submit(username="jane@sso.example")
    assert isinstance(page, Page) and page.url.startswith(live.url)
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    secret = enrolment_secret(page)
    assert isinstance(browser.submit(code=totp_code(secret, live.clock)), str)
    with downstream.services.db.session() as session:
        (jane,) = session.scalars(select(User)).all()
        jane.disabled = True
        jane_id = jane.id
    live.clock.advance(60)

    page = browser.open(app.authorization_request(kc_idp_hint=ALIAS, prompt="login").url)
    # prompt=login goes upstream too: the upstream session does not count, jane signs in again.
    assert isinstance(page, Page) and page.url.startswith(live.url) and page.title == "Sign in"
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    page = browser.submit(code=totp_code(secret, live.clock))

    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.status == 403 and page.title == "Sign-in stopped"
    assert "This account is disabled." in page.html
    failed = downstream.audit("sign_in_failed", jane_id)[-1]
    assert failed.reason == "account_disabled" and failed.mfa_factor_type == "federated"


def test_a_provider_whose_organisation_is_missing_here_shows_an_error_and_is_audited(
    live: LiveBridge,
    downstream_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser: Browser,
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    with downstream_bridge(
        live, downstream_database, tmp_path, monkeypatch, organisation="ghost"
    ) as downstream:
        client_id, secret = downstream.add_client()
        rp = RelyingParty(downstream.url, client_id, secret, now=downstream.clock)
        request = rp.authorization_request(login_hint="jane@sso.example")

        page = sign_in_upstream(live, browser, browser.open(request.url))

        assert isinstance(page, Page) and page.url.startswith(downstream.url)
        assert page.status == 400 and page.title == "Sign-in did not work"
        assert "Signing in through this provider is not possible at the moment." in page.html
        assert "Traceback" not in page.html
        failed = downstream.audit("sign_in_failed")[-1]
        assert failed.reason == "provider_misconfigured"
        assert failed.mfa_factor_type == "federated"
        with downstream.services.db.session() as session:
            assert not session.scalars(select(User)).all(), "no account half made"


@pytest.mark.parametrize(
    ("path", "title"),
    [("/account", "Your account"), ("/admin/", "Organisations you administer")],
    ids=["account page", "admin console"],
)
def test_a_federated_login_started_by_a_bridge_page_ends_there_signed_in(
    live: LiveBridge, downstream: LiveBridge, browser: Browser, path: str, title: str
) -> None:
    live.services.users.create("jane", email="jane@sso.example", password=PASSWORD)
    page = browser.open(downstream.url + path)
    assert isinstance(page, Page) and page.title == "Sign in"

    page = sign_in_upstream(live, browser, browser.submit(username="jane@sso.example"))

    assert isinstance(page, Page) and page.url == downstream.url + path
    assert page.title == title
