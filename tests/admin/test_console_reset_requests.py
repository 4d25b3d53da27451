"""'Lost your device?' requests in the admin console: listed on the organisation page, approved
with a button, refused with the reason (R13, R18). Flask's test client, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bridge.app import create_app
from bridge.services.container import Services
from bridge.services.orgs import Actor
from tests.world import World


@dataclass
class Console:
    """One admin's browser on the console, signed in with a bridge session."""

    client: FlaskClient
    services: Services

    def page(self, path: str = "/admin/orgs/acme") -> BeautifulSoup:
        response = self.client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return BeautifulSoup(response.get_data(as_text=True), "html.parser")

    def approve(self, request_id: str, org: str = "acme", *, csrf: bool = True) -> TestResponse:
        token = self.page(f"/admin/orgs/{org}").select_one("input[name=csrf_token]")
        data = {"csrf_token": str(token["value"])} if csrf and token else {}
        return self.client.post(f"/admin/orgs/{org}/reset-requests/{request_id}/approve", data=data)


def soup(response: TestResponse) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(page: BeautifulSoup, selector: str) -> str:
    found = page.select_one(selector)
    assert found is not None, f"no {selector} on the page"
    return found.get_text(" ", strip=True)


def errors(response: TestResponse) -> str:
    box = soup(response).select_one("#form-errors")
    return box.get_text(" ", strip=True) if box else ""


@pytest.fixture
def console(services: Services, world: World) -> Console:
    return Console(create_app(services=services).test_client(), services)


def sign_in(console: Console, world: World, username: str) -> Console:
    session = console.services.sessions.create(
        world.row(username).id, ("pwd", "otp"), int(world.clock()), None
    )
    console.client.set_cookie(console.services.settings.session.cookie_name, session)
    return console


@pytest.fixture
def acme(world: World) -> World:
    """Acme: ada and carol are admins, bob a member who lost his phone; eve admins Globex."""
    for name in ("ada", "bob", "carol", "eve"):
        world.user(name)
    world.org("acme")
    world.org("globex")
    world.join("acme", "ada", "admin")
    world.join("acme", "carol", "admin")
    world.join("acme", "bob")
    world.join("globex", "eve", "admin")
    world.enrol("bob")
    world.enrol("carol")
    return world


def ask(world: World, username: str, message: str | None = "Phone fell in the lake") -> str:
    org = world.services.orgs.authority(world.actor("ada"), "acme").org
    return world.services.reset_requests.request(world.row(username).id, org.id, message=message).id


def status_of(world: World, request_id: str) -> str:
    row = world.services.reset_requests.get(request_id)
    assert row is not None
    return row.status


def test_the_organisation_page_lists_pending_requests_with_who_when_and_their_message(
    console: Console, acme: World
) -> None:
    request_id = ask(acme, "bob")
    page = sign_in(console, acme, "ada").page()
    [row] = page.select("#reset-requests tbody tr")
    assert row["data-request-id"] == request_id
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[0] == "bob bob@example.com"
    assert cells[1] == acme.services.reset_requests.pending(
        acme.services.orgs.authority(acme.actor("ada"), "acme").org.id
    )[0].requested_at.strftime("%Y-%m-%d %H:%M UTC")
    assert cells[2] == "Phone fell in the lake"
    assert cells[3] == "Approve"


def test_without_requests_the_page_says_nobody_is_waiting(console: Console, acme: World) -> None:
    page = sign_in(console, acme, "ada").page()
    assert page.select_one("#reset-requests") is None
    assert text_of(page, "#no-reset-requests") == ("No member is waiting for a reset.")


def test_approving_resets_the_members_2fa_and_confirms_it(console: Console, acme: World) -> None:
    request_id = ask(acme, "bob")
    response = sign_in(console, acme, "ada").approve(request_id)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/orgs/acme?notice=reset-approved")
    page = console.page("/admin/orgs/acme?notice=reset-approved")
    assert text_of(page, "#notice").startswith(
        "The request was approved: the member's 2FA was reset"
    )
    assert page.select_one("#reset-requests") is None
    assert status_of(acme, request_id) == "approved"
    assert not acme.has_totp("bob")
    [event] = acme.services.audit.events(event="mfa_reset_approved")
    assert event.actor_id == acme.row("ada").id and event.user_id == acme.row("bob").id


def test_the_requester_cannot_approve_their_own_request(console: Console, acme: World) -> None:
    request_id = ask(acme, "carol")
    sign_in(console, acme, "carol")
    row = console.page().select_one(f'tr[data-request-id="{request_id}"]')
    assert row is not None and row.select_one("form") is None
    assert "another admin approves it" in row.get_text(" ", strip=True)

    response = console.approve(request_id)

    assert response.status_code == 409
    assert errors(response) == (
        "Reset request refused. Another admin must approve your own reset request."
    )
    assert status_of(acme, request_id) == "pending" and acme.has_totp("carol")


def test_a_request_already_decided_is_refused(console: Console, acme: World) -> None:
    request_id = ask(acme, "bob")
    acme.services.reset_requests.approve(Actor(acme.row("carol").id), "acme", request_id)
    acme.enrol("bob")  # bob set up a new phone since

    response = sign_in(console, acme, "ada").approve(request_id)

    assert response.status_code == 409
    assert errors(response) == "Reset request refused. The request was already decided."
    assert acme.has_totp("bob")
    assert len(acme.services.audit.events(event="mfa_reset_approved")) == 1


def test_an_unknown_request_is_not_found(console: Console, acme: World) -> None:
    response = sign_in(console, acme, "ada").approve("0" * 32)
    assert response.status_code == 404
    assert errors(response) == "Reset request refused. No such reset request."


def test_an_admin_of_another_organisation_cannot_approve(console: Console, acme: World) -> None:
    request_id = ask(acme, "bob")
    sign_in(console, acme, "eve")
    # Her CSRF token is valid (from her own organisation's page); she is still no admin of acme.
    token = console.page("/admin/orgs/globex").select_one("input[name=csrf_token]")
    assert token is not None
    response = console.client.post(
        f"/admin/orgs/acme/reset-requests/{request_id}/approve",
        data={"csrf_token": str(token["value"])},
    )
    assert response.status_code == 403
    assert text_of(soup(response), "h1") == (
        "Only an admin of this organisation (or of its partner) may do this"
    )
    # Nor through her own organisation's address: the request is not Globex's.
    assert console.approve(request_id, org="globex").status_code == 404
    assert status_of(acme, request_id) == "pending" and acme.has_totp("bob")


def test_a_partner_admin_approves_for_a_customer(console: Console, world: World) -> None:
    for name in ("pat", "cid"):
        world.user(name)
    world.org("parts", kind="partner")
    world.org("cust", kind="customer", parent="parts")
    world.join("parts", "pat", "admin")
    world.join("cust", "cid")
    world.enrol("cid")
    org = world.services.orgs.authority(world.actor("pat"), "cust").org
    request_id = world.services.reset_requests.request(world.row("cid").id, org.id).id
    sign_in(console, world, "pat")
    assert console.page("/admin/orgs/cust").select_one(f'tr[data-request-id="{request_id}"]')

    assert console.approve(request_id, org="cust").status_code == 303

    assert status_of(world, request_id) == "approved" and not world.has_totp("cid")


def test_approving_without_the_csrf_token_changes_nothing(console: Console, acme: World) -> None:
    request_id = ask(acme, "bob")
    response = sign_in(console, acme, "ada").approve(request_id, csrf=False)
    assert response.status_code == 400
    assert status_of(acme, request_id) == "pending" and acme.has_totp("bob")


def test_the_list_of_organisations_says_where_a_request_is_waiting(
    console: Console, acme: World
) -> None:
    ask(acme, "bob")
    page = sign_in(console, acme, "ada").page("/admin/")
    assert (
        text_of(page, "#orgs li") == "Acme (standalone, production) 1 lost-device request waiting"
    )
