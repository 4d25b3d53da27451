"""The console's "how they sign in" page in words a security admin understands (issue 13): what
the member is asked and why, no file path, in English and German. Flask's test client."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from bridge.app import create_app
from bridge.services.container import Services
from tests.world import OPERATOR, World


def signed_in(services: Services, world: World, username: str) -> FlaskClient:
    client = create_app(services=services).test_client()
    session = services.sessions.create(
        world.row(username).id, ("pwd", "otp"), int(world.clock()), None
    )
    client.set_cookie(services.settings.session.cookie_name, session)
    return client


def items(soup: BeautifulSoup, list_id: str) -> list[str]:
    found = soup.find(id=list_id)
    return [] if found is None else [li.get_text(" ", strip=True) for li in found.find_all("li")]


def page(client: FlaskClient, language: str = "en", username: str = "bob") -> BeautifulSoup:
    response = client.get(
        f"/admin/orgs/acme/members/{username}/sign-in", headers={"Accept-Language": language}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def visible(soup: BeautifulSoup) -> str:
    """The page's text outside the collapsed technical details."""
    main = soup.find("main")
    assert main is not None
    for details in main.find_all("details"):
        details.decompose()
    return main.get_text(" ", strip=True)


@pytest.fixture
def acme(world: World) -> World:
    for name in ("ada", "bob"):
        world.user(name)
    world.org("acme")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    world.enrol("ada")
    return world


CODE = "A code from their authenticator app, or one of their recovery codes."
TRUST = "Whether to trust this browser, so that it does not ask them for a code for a while."


def test_a_member_without_2fa_is_asked_only_for_the_password_and_told_why(
    services: Services, acme: World
) -> None:
    soup = page(signed_in(services, acme, "ada"))
    assert soup.title is not None and soup.title.get_text().startswith("Acme: how bob signs in")
    assert items(soup, "asked") == ["Their username and password."]
    assert items(soup, "why") == [
        "No code is asked: bob has no authenticator app and no rule requires two-factor "
        "authentication. An application that asks for two factors makes them set one up all "
        "the same."
    ]
    assert items(soup, "first")[0] == (
        "Nothing, while their browser still has a session from an earlier sign-in."
    )


def test_when_the_organisation_enforces_2fa_the_page_says_so_and_asks_for_enrolment(
    services: Services, acme: World
) -> None:
    services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    soup = page(signed_in(services, acme, "ada"))
    assert items(soup, "asked") == [
        "Their username and password.",
        "To set up an authenticator app, as they have none yet.",
        CODE,
        TRUST,
    ]
    assert items(soup, "why")[0] == "The organisation Acme enforces two-factor authentication."


def test_an_admins_requirement_is_named_as_the_reason(services: Services, acme: World) -> None:
    acme.enrol("bob")
    services.members.require_mfa(acme.actor("ada"), "acme", "bob")
    soup = page(signed_in(services, acme, "ada"))
    assert items(soup, "asked") == ["Their username and password.", CODE, TRUST]
    assert items(soup, "why")[0] == ("An administrator required two-factor authentication for bob.")


def test_a_member_who_chose_2fa_is_told_so(services: Services, acme: World) -> None:
    acme.enrol("bob")
    soup = page(signed_in(services, acme, "ada"))
    assert items(soup, "why")[0] == "bob set up two-factor authentication themselves."


def test_no_file_path_and_no_engine_notation_outside_the_technical_details(
    services: Services, acme: World
) -> None:
    services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    soup = page(signed_in(services, acme, "ada"))
    flow = services.flows.get(services.settings.flows.flow_for("browser", None, "acme"))
    html = str(soup)
    assert flow.source not in html and ".yaml" not in html
    text = visible(soup)
    for notation in ("mfa_required", "user_has_totp", "=true", "conditional", "totp_enrol", "["):
        assert notation not in text, notation


def test_the_page_is_in_german(services: Services, acme: World) -> None:
    services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    soup = page(signed_in(services, acme, "ada"), "de")
    asked = items(soup, "asked")
    assert asked[0] == "Benutzername und Kennwort."
    assert "Authentifizierungs-App" in asked[1] and "Wiederherstellungscodes" in asked[2]
    assert items(soup, "why")[0] == (
        "Die Organisation Acme erzwingt die Zwei-Faktor-Authentifizierung."
    )
    assert "vertrauenswürdig" in items(soup, "why")[1]
