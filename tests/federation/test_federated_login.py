"""End to end over real HTTP: a downstream bridge signs people in through an upstream bridge.

The upstream bridge (``live``: SQLite + memory, or PostgreSQL + Redis) is the SSO provider of
the domain ``sso.example``; the downstream bridge (its own SQLite database) has it configured
as the identity provider ``upstream`` and a relying party of its own. Both run on real ports
and share the test clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import yaml
from sqlalchemy import select

from bridge.clock import FrozenClock
from bridge.crypto import generate_key_spec
from bridge.db.engine import Database
from bridge.db.models import User
from bridge.secrets import Secrets
from bridge.services import Services, build_services
from bridge.settings import load_settings
from tests.e2e.conftest import FAST_ARGON2
from tests.e2e.harness import (
    PASSWORD,
    Browser,
    LiveBridge,
    Page,
    RelyingParty,
    callback_params,
    enrolment_secret,
    serve,
    totp_code,
)

ALIAS = "upstream"
SECRET_ENV = "BRIDGE_IDP_UPSTREAM_CLIENT_SECRET"


def _verify_email(services: Services, user_id: str) -> None:
    with services.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.email_verified = True


@pytest.fixture
def downstream(
    live: LiveBridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveBridge]:
    """A second bridge with the upstream bridge as its provider for ``sso.example``."""
    database = Database(f"sqlite:///{tmp_path / 'downstream.sqlite3'}")
    database.upgrade()

    def factory(issuer: str) -> tuple[Services, FrozenClock]:
        client, secret = live.services.clients.add(
            "The downstream bridge",
            [f"{issuer}/federation/{ALIAS}/callback"],
            post_logout_redirect_uris=[f"{issuer}/federation/{ALIAS}/logged-out"],
        )
        assert secret is not None
        monkeypatch.setenv(SECRET_ENV, secret)
        config = tmp_path / "downstream.yaml"
        provider = {
            "alias": ALIAS,
            "display_name": "Upstream",
            "issuer": live.url,
            "client_id": client.id,
            "client_secret_env": SECRET_ENV,
            "domains": ["sso.example"],
            "link_by_verified_email": True,
        }
        config.write_text(yaml.safe_dump({"identity_providers": [provider]}))
        environ = {
            "BRIDGE_ISSUER": issuer,
            "BRIDGE_DATA_DIR": str(tmp_path / "downstream-data"),
            "BRIDGE_DATABASE_URL": database.url.render_as_string(hide_password=False),
            "BRIDGE_EPHEMERAL__BACKEND": "memory",
            **FAST_ARGON2,
        }
        secrets = Secrets(secret_key=os.urandom(32), encryption_keys=generate_key_spec())
        return build_services(load_settings(config, environ), secrets, live.clock), live.clock

    with serve(factory) as bridge:
        yield bridge
    database.dispose()


@pytest.fixture
def app(downstream: LiveBridge) -> RelyingParty:
    client_id, secret = downstream.add_client()
    return RelyingParty(downstream.url, client_id, secret, now=downstream.clock)


def sign_in_upstream(live: LiveBridge, browser: Browser, page: Page | str) -> Page | str:
    """Jane's first login at the upstream bridge: password, then TOTP enrolment there."""
    assert isinstance(page, Page) and page.url.startswith(live.url), page
    assert page.title == "Sign in"
    page = browser.submit(username="jane", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Set up two-factor authentication"
    return browser.submit(code=totp_code(enrolment_secret(page), live.clock))


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
