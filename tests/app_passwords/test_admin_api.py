"""A service account's app passwords through the admin API (seed 000; issue 12)."""

from __future__ import annotations

from tests.admin_api import Api, assert_problem
from tests.world import World

ROBOT = "/orgs/acme/members/robot/app-passwords"


def test_an_admin_creates_lists_and_revokes_a_service_accounts_app_password(
    api: Api, acme: World
) -> None:
    created = api.post(ROBOT, "ada", {"comment": "Nightly export"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["comment"] == "Nightly export" and body["scopes"] == ["proxy"]
    assert len(body["secret"].replace("-", "")) == 30
    listed = api.get(ROBOT, "ada").get_json()["app_passwords"]
    assert [p["id"] for p in listed] == [body["id"]] and "secret" not in listed[0]
    assert api.call("DELETE", f"{ROBOT}/{body['id']}", "ada").status_code == 204
    assert api.get(ROBOT, "ada").get_json() == {"app_passwords": []}
    assert_problem(api.call("DELETE", f"{ROBOT}/{body['id']}", "ada"), 404, "not-found")


def test_a_persons_app_passwords_are_theirs_alone(api: Api, acme: World) -> None:
    response = api.post("/orgs/acme/members/bob/app-passwords", "ada", {"comment": "x"})
    assert_problem(response, 409, "not-a-service-account")


def test_a_member_who_is_not_an_admin_is_refused(api: Api, acme: World) -> None:
    assert_problem(api.post(ROBOT, "bob", {"comment": "x"}), 403, "not-an-admin")


def test_bad_bodies_are_422(api: Api, acme: World) -> None:
    for body in ({}, {"comment": ""}, {"comment": 5}, {"comment": "x", "scopes": ["admin"]},
                 {"comment": "x", "extra": 1}, {"comment": "x" * 101}, [1]):  # fmt: skip
        assert_problem(api.post(ROBOT, "ada", body), 422, "invalid-input")


def test_an_organisation_that_forbids_app_passwords_refuses_new_ones(api: Api, acme: World) -> None:
    assert (
        api.patch("/orgs/acme/policy", "ada", {"app_passwords_allowed": False}).status_code == 200
    )
    assert_problem(api.post(ROBOT, "ada", {"comment": "x"}), 403, "app-passwords-forbidden")
