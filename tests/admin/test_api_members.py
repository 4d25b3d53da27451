"""An admin's actions on members (R9), their status column and the 2FA progress (R4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bridge.storage.db.models import User
from tests.admin_api import Api, assert_problem
from tests.world import OPERATOR, World


def lock(world: World, username: str) -> None:
    with world.services.db.session() as session:
        row = session.get(User, world.row(username).id)
        assert row is not None
        row.locked_at = datetime(2026, 1, 1, tzinfo=UTC)


def statuses(api: Api) -> dict[str, str]:
    members = api.get("/orgs/acme/members", "ada").get_json()["members"]
    return {m["username"]: m["mfa_status"] for m in members}


def action(api: Api, username: str, name: str, body: Any = None) -> Any:
    return api.post(f"/orgs/acme/members/{username}/actions/{name}", "ada", body)


def test_the_status_column_shows_each_members_2fa_state(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    acme.enrol("bob")
    acme.user("robot")
    acme.join("acme", "robot")
    acme.services.members.to_service_account(OPERATOR, "acme", "robot")
    lock(acme, "carol")
    assert statuses(api) == {
        "ada": "setup_required",
        "bob": "configured",
        "carol": "locked",
        "robot": "service_account",
    }


def test_members_need_no_2fa_until_the_organisation_enforces_it(api: Api, acme: World) -> None:
    assert set(statuses(api).values()) == {"not_required"}


def test_progress_counts_configured_members_out_of_those_who_need_2fa(
    api: Api, acme: World
) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    assert api.get("/orgs/acme/mfa-progress", "ada").get_json() == {
        "configured": 0,
        "needing": 3,
        "percent": 0,
    }
    acme.enrol("bob")
    assert api.get("/orgs/acme/mfa-progress", "ada").get_json() == {
        "configured": 1,
        "needing": 3,
        "percent": 33,
    }


def test_unlock_lets_a_locked_member_sign_in_again(api: Api, acme: World) -> None:
    lock(acme, "bob")
    response = action(api, "bob", "unlock")
    assert response.status_code == 200
    assert response.get_json()["locked"] is False
    assert acme.row("bob").locked_at is None
    [event] = acme.services.audit.events(event="user_unlocked")
    assert (event.user_id, event.actor_id) == (acme.row("bob").id, acme.row("ada").id)


def test_reset_2fa_deletes_the_secret_and_the_member_enrols_again(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")  # bob's (seed 002)
    acme.enrol("bob")
    response = action(api, "bob", "reset-mfa")
    assert response.get_json()["mfa_status"] == "setup_required"
    assert not acme.has_totp("bob")
    assert acme.services.audit.events(event="mfa_reset_by_admin")


def test_an_admin_requires_2fa_for_one_member_and_can_lift_it(api: Api, acme: World) -> None:
    assert action(api, "bob", "require-mfa").get_json()["mfa_status"] == "setup_required"
    assert acme.row("bob").mfa_required is True
    lifted = action(api, "bob", "require-mfa", {"required": False})
    assert lifted.get_json()["mfa_status"] == "not_required"


def test_a_member_becomes_a_service_account_and_back(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    acme.enrol("bob")
    converted = action(api, "bob", "to-service-account").get_json()
    assert converted["mfa_status"] == "service_account"
    assert not acme.has_totp("bob")
    back = action(api, "bob", "from-service-account").get_json()
    assert back["mfa_status"] == "setup_required"


def test_making_a_service_account_deletes_2fa_so_it_needs_a_verified_domain_too(
    api: Api, acme: World
) -> None:
    acme.enrol("bob")
    body = assert_problem(action(api, "bob", "to-service-account"), 403, "domain-not-verified")
    assert "admin_reset_requires_verified_domain" in body["detail"]
    assert acme.has_totp("bob")
    assert acme.row("bob").service_account is False


def test_an_admin_cannot_use_admin_actions_on_their_own_account(api: Api, acme: World) -> None:
    acme.enrol("ada")
    assert_problem(action(api, "ada", "reset-mfa"), 403, "self-action")
    assert acme.has_totp("ada")


def test_a_plain_member_cannot_act_on_another_member(api: Api, acme: World) -> None:
    acme.enrol("carol")
    response = api.post("/orgs/acme/members/carol/actions/reset-mfa", "bob")
    assert_problem(response, 403, "not-an-admin")
    assert acme.has_totp("carol")


def test_an_action_on_someone_outside_the_organisation_is_not_found(api: Api, acme: World) -> None:
    acme.user("zed")
    acme.enrol("zed")
    assert_problem(action(api, "zed", "reset-mfa"), 404, "not-found")
    assert acme.has_totp("zed")


def test_an_unknown_action_is_not_found(api: Api, acme: World) -> None:
    assert_problem(action(api, "bob", "delete-everything"), 404, "not-found")


def test_an_action_refuses_fields_it_does_not_know(api: Api, acme: World) -> None:
    assert_problem(action(api, "bob", "unlock", {"force": True}), 422, "invalid-input")
    assert_problem(action(api, "bob", "require-mfa", {"required": "yes"}), 422, "invalid-input")
    assert acme.row("bob").mfa_required is False


def test_resetting_a_user_of_other_organisations_needs_a_verified_domain(
    api: Api, acme: World
) -> None:
    acme.org("globex")
    acme.join("globex", "bob")
    acme.enrol("bob")
    body = assert_problem(action(api, "bob", "reset-mfa"), 403, "domain-not-verified")
    assert "example.com" in body["detail"]
    assert acme.has_totp("bob")
    acme.services.orgs.add_domain(OPERATOR, "acme", "example.com")
    assert action(api, "bob", "reset-mfa").status_code == 200
    assert not acme.has_totp("bob")


def test_an_admin_adds_only_users_of_a_verified_domain(api: Api, acme: World) -> None:
    acme.user("dan", domain="elsewhere.org")
    refused = assert_problem(
        api.post("/orgs/acme/members", "ada", {"username": "dan"}), 404, "not-found"
    )
    assert "elsewhere.org" not in refused["detail"]
    assert "verified" in refused["detail"]
    assert "dan" not in statuses(api)
    acme.services.orgs.add_domain(OPERATOR, "acme", "elsewhere.org")
    response = api.post("/orgs/acme/members", "ada", {"username": "dan", "role": "member"})
    assert response.status_code == 201
    assert response.get_json()["username"] == "dan"


def test_adding_a_member_answers_alike_for_no_such_user_and_another_tenants_user(
    api: Api, acme: World
) -> None:
    acme.org("globex")
    acme.services.orgs.add_domain(OPERATOR, "globex", "globex.example")
    acme.user("gina", domain="globex.example")
    acme.join("globex", "gina")
    theirs = api.post("/orgs/acme/members", "ada", {"username": "gina"})
    nobody = api.post("/orgs/acme/members", "ada", {"username": "nobody"})
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.headers["Content-Type"] == nobody.headers["Content-Type"]
    expected = dict(nobody.get_json())
    expected["detail"] = expected["detail"].replace("'nobody'", "'gina'")
    assert theirs.get_json() == expected
    assert "globex" not in theirs.get_data(as_text=True)


def test_an_admin_changes_a_role_and_removes_a_member(api: Api, acme: World) -> None:
    promoted = api.patch("/orgs/acme/members/bob", "ada", {"role": "admin"})
    assert promoted.get_json()["role"] == "admin"
    removed = api.call("DELETE", "/orgs/acme/members/carol", "ada")
    assert removed.status_code == 204
    assert "carol" not in statuses(api)


def test_the_audit_log_of_an_organisation_holds_its_admin_actions(api: Api, acme: World) -> None:
    action(api, "bob", "require-mfa")
    acme.org("globex")
    acme.services.orgs.update_policy(OPERATOR, "globex", {"mfa_enforced": True})
    events = api.get("/orgs/acme/audit?limit=10", "ada").get_json()["events"]
    assert events[0]["event"] == "mfa_required_by_admin"
    assert events[0]["details"]["org"] == "acme"
    assert all(e["details"].get("org") == "acme" for e in events)


@pytest.mark.parametrize("limit", ["0", "501", "x", "-1"])
def test_a_bad_audit_limit_is_refused(api: Api, acme: World, limit: str) -> None:
    assert_problem(api.get(f"/orgs/acme/audit?limit={limit}", "ada"), 422, "invalid-input")


def test_reset_2fa_also_deletes_recovery_codes_and_trusted_browsers(api: Api, acme: World) -> None:
    s = acme.services
    acme.enrol("bob")
    bob = acme.row("bob").id
    s.recovery.generate(bob)
    s.trusted_devices.trust(bob, "Firefox on Linux", 30)
    s.orgs.add_domain(OPERATOR, "acme", "example.com")  # bob's (seed 002)
    assert action(api, "bob", "reset-mfa").status_code == 200
    assert not s.recovery.has_codes(bob)
    assert s.trusted_devices.list(bob) == []


def test_unlock_lifts_a_lock_the_lockout_placed(api: Api, acme: World) -> None:
    s = acme.services
    bob = acme.row("bob").id
    lock(acme, "bob")
    assert s.lockout.is_locked(bob)
    assert action(api, "bob", "unlock").get_json()["locked"] is False
    assert not s.lockout.is_locked(bob)
    assert s.audit.events(event="account_unlocked", user_id=bob)
