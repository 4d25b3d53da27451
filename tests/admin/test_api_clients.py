"""API clients through the admin API (issue 12): an organisation's admins create, list, rotate
and remove them; nobody else can; every change is in the organisation's audit log."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import RSAKey

from tests.admin_api import Api, assert_problem
from tests.world import OPERATOR, World

CLIENTS = "/orgs/acme/api-clients"


def create(api: Api, body: Any, as_user: str = "ada") -> Any:
    return api.post(CLIENTS, as_user, body)


def test_an_admin_creates_a_client_and_sees_its_secret_once(api: Api, acme: World) -> None:
    response = create(api, {"name": "Billing sync", "scopes": ["invoices:read"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["secret"] and body["auth_method"] == "client_secret"
    assert body["scopes"] == ["invoices:read"]
    listed = api.get(CLIENTS, "ada").get_json()["api_clients"]
    assert [c["client_id"] for c in listed] == [body["client_id"]]
    assert "secret" not in listed[0]
    one = api.get(f"{CLIENTS}/{body['client_id']}", "ada").get_json()
    assert one["name"] == "Billing sync" and "secret" not in one


def test_a_client_with_public_keys_gets_no_secret(api: Api, acme: World) -> None:
    key = RSAKey.generate_key(2048).as_dict(private=False)
    body = create(api, {"name": "Signer", "scopes": ["a"], "jwks": {"keys": [key]}}).get_json()
    assert body["secret"] is None and body["auth_method"] == "private_key_jwt"
    rotate = api.post(f"{CLIENTS}/{body['client_id']}/secret", "ada")
    assert_problem(rotate, 409, "conflict")


def test_rotating_answers_a_new_secret(api: Api, acme: World) -> None:
    body = create(api, {"name": "Sync", "scopes": ["a"]}).get_json()
    rotated = api.post(f"{CLIENTS}/{body['client_id']}/secret", "ada")
    assert rotated.status_code == 200
    assert rotated.get_json()["secret"] not in (None, body["secret"])
    record = acme.services.clients.get(body["client_id"])
    assert record is not None
    assert not acme.services.clients.check_secret(record, body["secret"])
    assert acme.services.clients.check_secret(record, rotated.get_json()["secret"])


def test_removing_a_client_deletes_it(api: Api, acme: World) -> None:
    body = create(api, {"name": "Sync", "scopes": ["a"]}).get_json()
    removed = api.call("DELETE", f"{CLIENTS}/{body['client_id']}", "ada")
    assert removed.status_code == 204
    assert acme.services.clients.get(body["client_id"]) is None
    assert_problem(api.get(f"{CLIENTS}/{body['client_id']}", "ada"), 404, "not-found")


def test_every_change_is_in_the_organisations_audit_log(api: Api, acme: World) -> None:
    body = create(api, {"name": "Sync", "scopes": ["a"]}).get_json()
    api.post(f"{CLIENTS}/{body['client_id']}/secret", "ada")
    api.call("DELETE", f"{CLIENTS}/{body['client_id']}", "ada")
    events = acme.services.org_audit.events(OPERATOR, "acme")
    names = [e.event for e in events if e.client_id == body["client_id"]]
    assert names == ["api_client_removed", "api_client_secret_rotated", "api_client_created"]
    assert all(e.actor_id == acme.row("ada").id for e in events if e.client_id)


def test_a_member_who_is_no_admin_is_refused(api: Api, acme: World) -> None:
    assert_problem(create(api, {"name": "Sync", "scopes": ["a"]}, "bob"), 403, "not-an-admin")
    assert_problem(api.get(CLIENTS, "bob"), 403, "not-an-admin")


def test_another_organisations_admin_cannot_see_or_touch_its_clients(api: Api, acme: World) -> None:
    body = create(api, {"name": "Sync", "scopes": ["a"]}).get_json()
    acme.user("gina")
    acme.org("globex")
    acme.join("globex", "gina", "admin")
    assert_problem(api.get(CLIENTS, "gina"), 403, "not-an-admin")
    client = body["client_id"]
    # Through their own organisation the client is not found: it is not theirs.
    assert_problem(api.get(f"/orgs/globex/api-clients/{client}", "gina"), 404, "not-found")
    rotate = api.post(f"/orgs/globex/api-clients/{client}/secret", "gina")
    assert_problem(rotate, 404, "not-found")
    remove = api.call("DELETE", f"/orgs/globex/api-clients/{client}", "gina")
    assert_problem(remove, 404, "not-found")
    assert api.get("/orgs/globex/api-clients", "gina").get_json() == {"api_clients": []}
    assert acme.services.clients.get(client) is not None


def test_a_relying_party_of_the_organisation_is_no_api_client(api: Api, acme: World) -> None:
    record, _ = acme.services.clients.add("Portal", ["https://portal.example/cb"])
    acme.services.orgs.assign_client(OPERATOR, "acme", record.id)
    assert_problem(api.get(f"{CLIENTS}/{record.id}", "ada"), 404, "not-found")
    assert api.get(CLIENTS, "ada").get_json() == {"api_clients": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["a"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["openid"]}, "scopes"),
        ({"name": "x", "scopes": ["has space"]}, "scopes"),
        ({"name": "x", "scopes": ["a"], "jwks": {"keys": []}}, "jwks"),
        (
            {"name": "x", "scopes": ["a"], "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
            "jwks",
        ),
        ({"name": "x", "scopes": ["a"], "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(
    api: Api, acme: World, body: dict[str, Any], field: str
) -> None:
    problem = assert_problem(create(api, body), 422, "invalid-input")
    assert problem.get("field") == field


def test_a_private_key_is_never_registered(api: Api, acme: World) -> None:
    private = RSAKey.generate_key(2048).as_dict(private=True)
    problem = create(api, {"name": "x", "scopes": ["a"], "jwks": {"keys": [private]}})
    assert "private key" in assert_problem(problem, 422, "invalid-input")["detail"]
