"""Who may use the admin API: a bearer token with the admin scope, then an admin of the org."""

from __future__ import annotations

from tests.admin_api import API, Api, assert_problem
from tests.world import OPERATOR, World


def test_a_request_without_a_token_is_refused_with_a_bearer_challenge(api: Api) -> None:
    response = api.client.get(f"{API}/orgs")
    assert_problem(response, 401, "unauthorised")
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_an_unknown_token_is_refused(api: Api) -> None:
    response = api.client.get(f"{API}/orgs", headers={"Authorization": "Bearer nope"})
    assert_problem(response, 401, "unauthorised")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_without_the_admin_scope_is_refused(api: Api, world: World) -> None:
    world.user("alice")
    token = api.token("alice", scope="openid profile")
    response = api.client.get(f"{API}/orgs", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 403, "insufficient-scope")


def test_a_locked_users_token_stops_working(api: Api, world: World) -> None:
    from datetime import UTC, datetime

    from bridge.storage.db.models import User

    alice = world.user("alice")
    token = api.token("alice")
    with world.services.db.session() as session:
        row = session.get(User, alice)
        assert row is not None
        row.locked_at = datetime(2026, 1, 1, tzinfo=UTC)
    response = api.client.get(f"{API}/orgs", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "unauthorised")


def test_the_openapi_document_is_public_and_describes_every_resource(api: Api) -> None:
    document = api.client.get(f"{API}/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/orgs",
        "/orgs/{org}",
        "/orgs/{org}/policy",
        "/orgs/{org}/members",
        "/orgs/{org}/members/{user}",
        "/orgs/{org}/members/{user}/actions/{action}",
        "/orgs/{org}/members/{user}/account",
        "/orgs/{org}/members/{user}/account/{account_action}",
        "/orgs/{org}/members/{user}/language",
        "/orgs/{org}/members/{user}/password",
        "/orgs/{org}/members/{user}/password-reset-link",
        "/orgs/{org}/language",
        "/orgs/{org}/mfa-progress",
        "/orgs/{org}/audit",
        "/orgs/{org}/audit/export",
        "/orgs/{org}/reset-requests",
        "/orgs/{org}/reset-requests/{request_id}/approve",
        "/orgs/{org}/identity-providers",
        "/orgs/{org}/identity-providers/{alias}",
        "/orgs/{org}/members/{user}/app-passwords",
        "/orgs/{org}/members/{user}/app-passwords/{password_id}",
        "/orgs/{org}/api-clients",
        "/orgs/{org}/api-clients/{client_id}",
        "/orgs/{org}/api-clients/{client_id}/secret",
    }


def test_an_admin_lists_the_organisations_they_administer(api: Api, world: World) -> None:
    world.user("ada")
    world.org("acme")
    world.org("globex")
    world.join("acme", "ada", "admin")
    world.join("globex", "ada", "member")
    body = api.get("/orgs", "ada").get_json()
    assert [org["slug"] for org in body["orgs"]] == ["acme"]


def test_a_partner_admin_also_sees_the_customers_of_the_partner(api: Api, world: World) -> None:
    world.user("pat")
    world.org("parts", kind="partner")
    world.org("cust", kind="customer", parent="parts")
    world.join("parts", "pat", "admin")
    body = api.get("/orgs", "pat").get_json()
    assert [org["slug"] for org in body["orgs"]] == ["cust", "parts"]


def test_a_member_who_is_not_an_admin_cannot_change_the_policy(api: Api, world: World) -> None:
    world.user("bob")
    world.org("acme")
    world.join("acme", "bob")
    response = api.patch("/orgs/acme/policy", "bob", {"mfa_enforced": True})
    assert_problem(response, 403, "not-an-admin")
    assert world.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is False


def test_an_admin_of_another_organisation_cannot_act_on_this_one(api: Api, world: World) -> None:
    world.user("eve")
    world.user("bob")
    world.org("acme")
    world.org("evil")
    world.join("evil", "eve", "admin")
    world.join("acme", "bob")
    assert_problem(
        api.patch("/orgs/acme/policy", "eve", {"mfa_enforced": True}), 403, "not-an-admin"
    )
    assert_problem(api.post("/orgs/acme/members/bob/actions/reset-mfa", "eve"), 403, "not-an-admin")
    assert_problem(api.get("/orgs/acme/members", "eve"), 403, "not-an-admin")
    assert world.services.orgs.policy(OPERATOR, "acme")["mfa_enforced"] is False


def test_an_unknown_organisation_is_not_found(api: Api, world: World) -> None:
    world.user("ada")
    assert_problem(api.get("/orgs/nowhere/policy", "ada"), 404, "not-found")


def test_an_unknown_path_under_the_api_is_a_problem_too(api: Api, world: World) -> None:
    world.user("ada")
    assert_problem(api.get("/nothing-here", "ada"), 404, "not-found")
    assert_problem(api.call("PUT", "/orgs", "ada"), 405, "method-not-allowed")
