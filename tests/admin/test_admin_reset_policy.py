"""Seed 002: an admin may start a 2FA reset only for members whose e-mail domain the
organisation verified; a reset the member asked for may be approved by any admin. The
organisation's policy ``admin_reset_requires_verified_domain`` (on by default) says so."""

from __future__ import annotations

from werkzeug.test import TestResponse

from tests.admin_api import Api, assert_problem
from tests.world import OPERATOR, World

POLICY = "admin_reset_requires_verified_domain"


def reset(api: Api, username: str) -> TestResponse:
    return api.post(f"/orgs/acme/members/{username}/actions/reset-mfa", "ada")


def test_the_policy_is_on_by_default(api: Api, acme: World) -> None:
    assert api.get("/orgs/acme/policy", "ada").get_json()[POLICY] is True


def test_an_admin_cannot_reset_a_member_of_an_unverified_domain(api: Api, acme: World) -> None:
    acme.enrol("bob")
    problem = assert_problem(reset(api, "bob"), 403, "domain-not-verified")
    assert "example.com" in problem["detail"] and POLICY in problem["detail"]
    assert acme.has_totp("bob")


def test_an_admin_resets_a_member_of_a_verified_domain(api: Api, acme: World) -> None:
    acme.enrol("bob")
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    assert reset(api, "bob").status_code == 200
    assert not acme.has_totp("bob")


def test_any_admin_approves_the_members_own_request_whatever_the_domain(
    api: Api, acme: World
) -> None:
    acme.enrol("bob")
    s = acme.services
    org_id = s.orgs.get(OPERATOR, "acme").id
    request = s.reset_requests.request(acme.row("bob").id, org_id)
    approved = api.post(f"/orgs/acme/reset-requests/{request.id}/approve", "ada")
    assert approved.status_code == 200, approved.get_data(as_text=True)
    assert not acme.has_totp("bob")


def test_turning_the_policy_off_lets_an_admin_reset_a_member_of_no_other_organisation(
    api: Api, acme: World
) -> None:
    acme.enrol("bob")
    changed = api.patch("/orgs/acme/policy", "ada", {POLICY: False})
    assert changed.status_code == 200 and changed.get_json()[POLICY] is False
    assert reset(api, "bob").status_code == 200
    assert not acme.has_totp("bob")
    [event] = acme.services.audit.events(event="org_policy_changed")
    assert event.details["changes"] == {POLICY: [True, False]}


def test_with_the_policy_off_a_member_of_another_organisation_still_needs_the_domain(
    api: Api, acme: World
) -> None:
    api.patch("/orgs/acme/policy", "ada", {POLICY: False})
    acme.org("globex")
    acme.join("globex", "bob")
    acme.enrol("bob")
    assert_problem(reset(api, "bob"), 403, "domain-not-verified")
    assert acme.has_totp("bob")


def test_the_policy_takes_only_true_or_false(api: Api, acme: World) -> None:
    problem = assert_problem(
        api.patch("/orgs/acme/policy", "ada", {POLICY: "no"}), 422, "invalid-input"
    )
    assert problem["field"] == POLICY


def test_the_operator_resets_whatever_the_domain(acme: World) -> None:
    acme.enrol("bob")
    acme.services.members.reset_mfa(OPERATOR, "acme", "bob")
    assert not acme.has_totp("bob")
