"""The admin API's help with a member's password (issue 14, item 4): a temporary password that
the next sign-in replaces, and the forgot-password link sent for the member, with every refusal
(not an admin, a user of another organisation, an unknown user, the policy, the domain rule,
SSO)."""

from __future__ import annotations

import pytest
from werkzeug.test import TestResponse

from tests.admin_api import Api, assert_problem
from tests.e2e.harness import PASSWORD
from tests.world import OPERATOR, World

TEMPORARY = "a temporary passphrase 4711"


@pytest.fixture
def acme(world: World) -> World:
    """acme (example.com verified): admin ada, members bob and carol; globex: admin gil, dan."""
    for name in ("ada", "bob", "carol", "gil", "dan"):
        world.user(name)
    world.org("acme")
    world.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    world.join("acme", "ada", "admin")
    world.join("acme", "bob")
    world.join("acme", "carol")
    world.org("globex")
    world.join("globex", "gil", "admin")
    world.join("globex", "dan")
    return world


def temporary(api: Api, username: str, as_user: str = "ada", **body: object) -> TestResponse:
    return api.call(
        "PUT",
        f"/orgs/acme/members/{username}/password",
        as_user,
        body or {"password": TEMPORARY},
    )


def link(api: Api, username: str, as_user: str = "ada") -> TestResponse:
    return api.post(f"/orgs/acme/members/{username}/password-reset-link", as_user)


def _works(world: World, username: str, password: str) -> bool:
    return world.services.users.check_password(username, password).user_id is not None


def test_an_admin_sets_a_temporary_password_that_must_be_changed(api: Api, acme: World) -> None:
    answer = temporary(api, "bob")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"username": "bob", "password_must_change": True}
    assert _works(acme, "bob", TEMPORARY) and not _works(acme, "bob", PASSWORD)
    bob = acme.services.users.find("bob")
    assert bob is not None and bob.password_must_change
    [event] = acme.services.audit.events(event="password_set_by_admin", user_id=bob.id)
    assert event.actor_id == acme.actor("ada").user_id
    assert event.details["org"] == "acme" and event.details["via"] == "api"
    listed = api.get("/orgs/acme/audit?event=password_set_by_admin", "ada").get_json()
    assert [e["event"] for e in listed["events"]] == ["password_set_by_admin"]


def test_the_member_answer_shows_the_temporary_password_until_it_is_replaced(
    api: Api, acme: World
) -> None:
    assert api.get("/orgs/acme/members/bob", "ada").get_json()["password_must_change"] is False
    temporary(api, "bob")
    listed = api.get("/orgs/acme/members", "ada").get_json()["members"]
    assert [m["password_must_change"] for m in listed if m["username"] == "bob"] == [True]
    bob = acme.services.users.find("bob")
    assert bob is not None
    acme.services.users.replace_password(bob.id, "a password of bob's own choosing")
    assert api.get("/orgs/acme/members/bob", "ada").get_json()["password_must_change"] is False


def test_setting_it_ends_the_member_s_sessions(api: Api, acme: World) -> None:
    bob = acme.services.users.find("bob")
    assert bob is not None
    session = acme.services.sessions.create(bob.id, ("pwd",), int(acme.clock()), None)
    assert temporary(api, "bob").status_code == 200
    assert acme.services.sessions.get(session) is None


def test_a_member_is_refused_as_not_an_admin(api: Api, acme: World) -> None:
    assert_problem(temporary(api, "carol", as_user="bob"), 403, "not-an-admin")
    assert_problem(link(api, "carol", as_user="bob"), 403, "not-an-admin")
    assert _works(acme, "carol", PASSWORD)


def test_a_user_of_another_organisation_is_not_a_member(api: Api, acme: World) -> None:
    problem = assert_problem(temporary(api, "dan"), 404, "not-found")
    assert problem["detail"] == "'dan' is not a member of 'acme'."
    assert_problem(link(api, "dan"), 404, "not-found")
    assert _works(acme, "dan", PASSWORD)


def test_an_unknown_user_is_named(api: Api, acme: World) -> None:
    problem = assert_problem(temporary(api, "nobody"), 404, "not-found")
    assert problem["detail"] == "There is no user 'nobody'."


def test_a_password_the_policy_refuses_is_refused_with_its_reason(api: Api, acme: World) -> None:
    problem = assert_problem(temporary(api, "bob", password="short one"), 422, "weak-password")
    assert "at least 15 characters" in problem["detail"]
    problem = assert_problem(
        temporary(api, "bob", password="1qaz2wsx3edc4rfv"), 422, "weak-password"
    )
    assert "most common" in problem["detail"]
    assert _works(acme, "bob", PASSWORD)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"password": 7}, "'password' must be a non-empty string."),
        ({"password": ""}, "'password' must be a non-empty string."),
        ({"password": TEMPORARY, "must_change": False}, "Unexpected field(s): must_change."),
        ({"password": "x" * 1025}, "'password' must be at most 1024 characters."),
    ],
)
def test_a_malformed_body_is_refused(
    api: Api, acme: World, body: dict[str, object], detail: str
) -> None:
    problem = assert_problem(temporary(api, "bob", **body), 422, "invalid-input")
    assert problem["detail"] == detail


def test_an_admin_cannot_set_their_own(api: Api, acme: World) -> None:
    assert_problem(temporary(api, "ada"), 403, "self-action")


def test_a_member_of_an_unverified_domain_gets_no_temporary_password(
    api: Api, world: World
) -> None:
    world.user("ada")
    world.user("eve", domain="elsewhere.example")
    world.org("acme")
    world.join("acme", "ada", "admin")
    world.join("acme", "eve")
    problem = assert_problem(temporary(api, "eve"), 403, "domain-not-verified")
    assert "elsewhere.example" in problem["detail"]
    assert "admin_reset_requires_verified_domain" in problem["detail"]
    # The link goes to the member's own address: any admin may send it.
    assert link(api, "eve").status_code == 202


def test_a_member_of_an_sso_organisation_gets_neither(api: Api, acme: World) -> None:
    with acme.services.db.session() as session:
        from bridge.storage.db.models import Organisation

        org = session.query(Organisation).filter_by(slug="acme").one()
        org.sso_enabled = True
    assert_problem(temporary(api, "bob"), 409, "temporary-password-refused")
    problem = assert_problem(link(api, "bob"), 409, "reset-link-refused")
    assert "single sign-on" in problem["detail"]


def test_an_admin_sends_the_reset_link(api: Api, acme: World) -> None:
    answer = link(api, "bob")
    assert answer.status_code == 202
    assert answer.get_json() == {
        "username": "bob",
        "email": "bob@example.com",
        "expires_in_minutes": 15,
    }
    bob = acme.services.users.find("bob")
    assert bob is not None
    [event] = acme.services.audit.events(event="password_reset_link_sent_by_admin", user_id=bob.id)
    assert event.details["org"] == "acme"


def test_the_link_is_refused_when_the_organisation_turned_resets_off(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"password_reset_allowed": False})
    problem = assert_problem(link(api, "bob"), 409, "reset-link-refused")
    assert "password_reset_allowed" in problem["detail"]


def test_at_most_three_links_an_hour(api: Api, acme: World) -> None:
    for _ in range(3):
        assert link(api, "bob").status_code == 202
    problem = assert_problem(link(api, "bob"), 409, "reset-link-refused")
    assert problem["detail"] == (
        "The account was sent 3 links in the last hour: wait before sending another."
    )


def test_password_reset_links_cannot_be_turned_on_with_sso(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"password_reset_allowed": False})
    with acme.services.db.session() as session:
        from bridge.storage.db.models import Organisation

        session.query(Organisation).filter_by(slug="acme").one().sso_enabled = True
    answer = api.patch("/orgs/acme/policy", "ada", {"password_reset_allowed": True})
    problem = assert_problem(answer, 409, "sso-enabled")
    assert problem["field"] == "password_reset_allowed"
    assert "single sign-on" in problem["detail"]
