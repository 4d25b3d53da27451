"""Changing an organisation's 2FA policy through the API: each rule, and what a refusal leaves."""

from __future__ import annotations

from typing import Any

import pytest

from tests.admin_api import Api, assert_problem
from tests.world import OPERATOR, World


def policy(world: World, slug: str = "acme") -> dict[str, Any]:
    return world.services.orgs.policy(OPERATOR, slug)


def events(world: World, event: str) -> list[Any]:
    return world.services.audit.events(event=event)


def test_an_admin_enforces_2fa_for_the_organisation(api: Api, acme: World) -> None:
    response = api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": True})
    assert response.status_code == 200
    assert response.get_json()["mfa_enforced"] is True
    assert policy(acme)["mfa_enforced"] is True
    [event] = events(acme, "org_mfa_enforced")
    assert event.actor_id == acme.row("ada").id
    assert event.details["changes"] == {"mfa_enforced": [False, True]}


def test_2fa_cannot_be_enforced_while_sso_is_on(api: Api, acme: World) -> None:
    acme.services.provider_admin.add(
        OPERATOR,
        "acme",
        {"alias": "acme-okta", "issuer": "https://acme.okta.example", "client_id": "bridge"},
    )
    acme.services.orgs.update_policy(
        OPERATOR, "acme", {"sso_enabled": True, "sso_idp_alias": "acme-okta"}
    )
    before = policy(acme)
    assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": True}), 409, "sso-enabled"
    )
    assert policy(acme) == before


def test_sso_cannot_be_turned_on_while_members_use_2fa_and_the_error_names_them(
    api: Api, acme: World
) -> None:
    acme.enrol("carol")
    acme.enrol("bob")
    before = policy(acme)
    body = assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"sso_enabled": True, "sso_idp_alias": "okta"}),
        409,
        "members-use-mfa",
    )
    assert body["members"] == ["bob", "carol"]
    assert "bob, carol" in body["detail"]
    assert policy(acme) == before


def test_sso_cannot_be_turned_on_while_2fa_is_enforced(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"sso_enabled": True, "sso_idp_alias": "okta"}),
        409,
        "mfa-enforced",
    )
    assert policy(acme)["sso_enabled"] is False


def test_sso_needs_an_identity_provider(api: Api, acme: World) -> None:
    body = assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"sso_enabled": True}), 422, "invalid-input"
    )
    assert body["field"] == "sso_idp_alias"


def test_a_production_partner_cannot_turn_2fa_off(api: Api, world: World) -> None:
    world.user("pat")
    world.org("parts", kind="partner", mode="production")
    world.join("parts", "pat", "admin")
    assert_problem(
        api.patch("/orgs/parts/policy", "pat", {"mfa_enforced": False}), 409, "production-partner"
    )
    assert policy(world, "parts")["mfa_enforced"] is True


def test_turning_2fa_off_with_keep_leaves_every_members_2fa_alone(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True})
    acme.enrol("bob")
    response = api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": False})
    assert response.status_code == 200
    assert response.get_json()["wiped_users"] == 0
    assert acme.has_totp("bob")


def test_turning_2fa_off_with_wipe_needs_the_admins_code_when_members_use_2fa(
    api: Api, acme: World
) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True, "on_disable": "wipe"})
    acme.enrol("ada")
    acme.enrol("bob")
    assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": False}), 403, "admin-code-required"
    )
    assert policy(acme)["mfa_enforced"] is True
    assert acme.has_totp("bob")
    assert acme.has_totp("ada")


def test_a_wrong_admin_code_wipes_nothing(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True, "on_disable": "wipe"})
    acme.enrol("ada")
    acme.enrol("bob")
    assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": False, "admin_code": "000000"}),
        403,
        "admin-code-invalid",
    )
    assert policy(acme)["mfa_enforced"] is True
    assert acme.has_totp("bob")


def test_an_admin_without_2fa_cannot_wipe_the_members_2fa(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True, "on_disable": "wipe"})
    acme.enrol("bob")
    body = assert_problem(
        api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": False, "admin_code": "123456"}),
        403,
        "admin-code-required",
    )
    assert "set up 2FA for your own account" in body["detail"]
    assert acme.has_totp("bob")


def test_turning_2fa_off_with_wipe_deletes_every_members_secret_at_once(
    api: Api, acme: World
) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True, "on_disable": "wipe"})
    secret = acme.enrol("ada")
    acme.enrol("bob")
    response = api.patch(
        "/orgs/acme/policy", "ada", {"mfa_enforced": False, "admin_code": acme.code(secret)}
    )
    assert response.status_code == 200
    assert response.get_json()["wiped_users"] == 2
    assert not acme.has_totp("ada")
    assert not acme.has_totp("bob")
    [event] = events(acme, "org_mfa_disabled")
    assert event.details["wiped_users"] == 2


def test_wipe_needs_no_code_when_nobody_has_2fa(api: Api, acme: World) -> None:
    acme.services.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True, "on_disable": "wipe"})
    response = api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": False})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trusted_browser_days": 6}, "trusted_browser_days"),
        ({"trusted_browser_days": 91}, "trusted_browser_days"),
        ({"trusted_browser_days": True}, "trusted_browser_days"),
        ({"on_disable": "shred"}, "on_disable"),
        ({"mfa_enforced": "yes"}, "mfa_enforced"),
        ({"lockout_action": "ban"}, "lockout_action"),
        ({"lockout_code_failures": 0}, "lockout_code_failures"),
        ({"sso_domains": ["not a domain"]}, "sso_domains"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_policy_value_is_refused_naming_the_field(
    api: Api, acme: World, change: dict[str, Any], field: str
) -> None:
    before = policy(acme)
    body = assert_problem(api.patch("/orgs/acme/policy", "ada", change), 422, "invalid-input")
    assert body["field"] == field
    assert policy(acme) == before


@pytest.mark.parametrize("body", [None, [], "text", {}])
def test_a_body_that_is_not_a_json_object_is_refused(api: Api, acme: World, body: Any) -> None:
    assert_problem(api.patch("/orgs/acme/policy", "ada", body), 422, "invalid-input")


def test_trusted_browsers_and_lockout_are_set_per_organisation(api: Api, acme: World) -> None:
    change = {
        "trusted_browsers_enabled": False,
        "trusted_browser_days": 90,
        "lockout_password_failures": 10,
        "lockout_code_failures": 5,
        "lockout_action": "restart",
    }
    response = api.patch("/orgs/acme/policy", "ada", change)
    assert response.status_code == 200
    assert {k: policy(acme)[k] for k in change} == change


def test_a_partner_admin_acts_as_the_admin_of_a_customer_and_the_log_says_so(
    api: Api, world: World
) -> None:
    world.user("pat")
    world.org("parts", kind="partner")
    world.org("cust", kind="customer", parent="parts", mode="production")
    world.join("parts", "pat", "admin")
    response = api.patch("/orgs/cust/policy", "pat", {"mfa_enforced": True})
    assert response.status_code == 200
    [event] = events(world, "org_mfa_enforced")
    assert event.actor_id == world.row("pat").id
    assert event.details["impersonation"] == {
        "partner_admin_id": world.row("pat").id,
        "partner_org": "parts",
        "acting_as": "admin@cust",
    }
    assert api.get("/orgs/cust", "pat").get_json()["acting_via_partner"] == "parts"


def test_a_partner_admin_cannot_act_on_another_partners_customer(api: Api, world: World) -> None:
    world.user("pat")
    world.org("parts", kind="partner")
    world.org("rival", kind="partner")
    world.org("cust", kind="customer", parent="rival")
    world.join("parts", "pat", "admin")
    assert_problem(
        api.patch("/orgs/cust/policy", "pat", {"mfa_enforced": True}), 403, "not-an-admin"
    )
    assert policy(world, "cust")["mfa_enforced"] is False


def test_enforcing_2fa_ends_no_running_session(api: Api, acme: World) -> None:
    session_token = acme.services.sessions.create(acme.row("bob").id, ("pwd",), 1, None)
    api.patch("/orgs/acme/policy", "ada", {"mfa_enforced": True})
    assert acme.services.sessions.get(session_token) is not None


def test_a_wipe_also_deletes_recovery_codes_and_trusted_browsers(api: Api, acme: World) -> None:
    s = acme.services
    s.orgs.update_policy(OPERATOR, "acme", {"mfa_enforced": True, "on_disable": "wipe"})
    secret = acme.enrol("ada")
    acme.enrol("bob")
    bob = acme.row("bob").id
    s.recovery.generate(bob)
    s.trusted_devices.trust(bob, "Firefox on Linux", 30)
    response = api.patch(
        "/orgs/acme/policy", "ada", {"mfa_enforced": False, "admin_code": acme.code(secret)}
    )
    assert response.status_code == 200
    assert not s.recovery.has_codes(bob)
    assert s.trusted_devices.list(bob) == []
