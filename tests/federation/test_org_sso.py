"""Organisation single sign-on end to end, over real HTTP with two bridges.

The downstream bridge's provider ``upstream`` serves the organisation ``acme`` and has no
``domains`` of its own: what sends ``jane@acme.example`` upstream is acme's SSO policy (set
through the org service, as the admin API does) for the domain acme verified. In the same
bridge, a local member of ``globex``, whose policy enforces 2FA, still sets up a code; the
``mfa.required`` default is off there, so only the organisation's policy asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.services.orgs import Actor
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Membership, Organisation, User
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty, callback_params
from tests.federation.two_bridges import ALIAS, downstream_bridge, sign_in_upstream

OPERATOR = Actor.operator()


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
    with downstream_bridge(
        live,
        downstream_database,
        tmp_path,
        monkeypatch,
        environ={"BRIDGE_MFA__REQUIRED": "false"},
        organisation="acme",
        domains=[],
    ) as bridge:
        orgs = bridge.services.orgs
        orgs.create(OPERATOR, "acme", "Acme")
        orgs.add_domain(OPERATOR, "acme", "acme.example")
        orgs.update_policy(
            OPERATOR,
            "acme",
            {"sso_enabled": True, "sso_idp_alias": ALIAS, "sso_domains": ["acme.example"]},
        )
        orgs.create(OPERATOR, "globex", "Globex")
        orgs.update_policy(OPERATOR, "globex", {"mfa_enforced": True})
        yield bridge


@pytest.fixture
def app(downstream: LiveBridge) -> RelyingParty:
    client_id, secret = downstream.add_client()
    return RelyingParty(downstream.url, client_id, secret, now=downstream.clock)


def _orgs_of(bridge: LiveBridge, user_id: str) -> list[str]:
    with bridge.services.db.session() as session:
        return list(
            session.scalars(
                select(Organisation.slug)
                .join(Membership, Membership.org_id == Organisation.id)
                .where(Membership.user_id == user_id)
            )
        )


def _only_user(bridge: LiveBridge) -> str:
    with bridge.services.db.session() as session:
        (user,) = session.scalars(select(User)).all()
        return user.id


def test_the_organisation_policy_sends_its_domain_upstream_and_makes_a_member_without_a_code(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@acme.example", password=PASSWORD)
    request = app.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, Page) and page.title == "Sign in"

    upstream_page = browser.submit(username="jane@acme.example", password="")
    assert isinstance(upstream_page, Page) and upstream_page.url.startswith(live.url)
    landed = sign_in_upstream(live, browser, upstream_page)

    assert isinstance(landed, str), browser.page
    params = callback_params(landed)
    assert params["state"] == request.state
    tokens = app.exchange(params["code"], request.verifier).json()
    claims = app.id_token_claims(tokens["id_token"], request.nonce)
    assert "fed" in claims["amr"] and "otp" not in claims["amr"]
    jane = _only_user(downstream)
    assert claims["sub"] == jane
    assert _orgs_of(downstream, jane) == ["acme"]
    joined = downstream.audit("member_added", jane)[-1]
    assert joined.details["via"] == "federation" and joined.details["org"] == "acme"
    assert not downstream.audit("mfa_setup_succeeded"), "never a TOTP step downstream"


def test_an_organisation_login_hint_goes_upstream_without_a_page_here(
    live: LiveBridge, downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    live.services.users.create("jane", email="jane@acme.example", password=PASSWORD)
    request = app.authorization_request(login_hint="jane@acme.example")

    page = browser.open(request.url)

    assert isinstance(page, Page) and page.url.startswith(live.url), "no sign-in page here"
    landed = sign_in_upstream(live, browser, page)
    assert isinstance(landed, str), browser.page
    tokens = app.exchange(callback_params(landed)["code"], request.verifier).json()
    assert app.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["fed"]


def test_an_address_outside_the_organisation_domains_signs_in_here(
    downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    page = browser.open(app.authorization_request(login_hint="jane@acme-group.example").url)
    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.title == "Sign in"


def test_a_member_of_an_organisation_that_enforces_2fa_sets_up_a_code(
    downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    downstream.add_user("lena")
    downstream.services.members.add(OPERATOR, "globex", "lena")
    browser.open(app.authorization_request().url)

    page = browser.submit(username="lena", password=PASSWORD)

    assert isinstance(page, Page) and page.url.startswith(downstream.url)
    assert page.title == "Set up two-factor authentication"


def test_a_local_user_of_no_organisation_is_not_asked_for_a_code_here(
    downstream: LiveBridge, app: RelyingParty, browser: Browser
) -> None:
    downstream.add_user("otto")
    request = app.authorization_request()
    browser.open(request.url)

    landed = browser.submit(username="otto", password=PASSWORD)

    assert isinstance(landed, str), "mfa.required is off: only an organisation asks for a code"
    tokens = app.exchange(callback_params(landed)["code"], request.verifier).json()
    assert app.id_token_claims(tokens["id_token"], request.nonce)["amr"] == ["pwd"]
