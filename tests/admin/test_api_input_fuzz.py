"""The admin API's JSON bodies: whatever a body holds, never a 5xx; JSON nested deeper than the
bridge reads is a 400 and a NUL byte a 422 naming the field, both problem documents."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.admin_api import Api, assert_problem
from tests.oidc.test_malformed_requests import FUZZ, odd
from tests.world import World

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), odd),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(odd, inner, max_size=3)),
    max_leaves=8,
)


def body_like(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid body with members replaced or added, or any JSON value at all."""
    members = {name: st.one_of(st.just(value), json_values) for name, value in valid.items()}
    return st.one_of(st.fixed_dictionaries(members, optional={"extra": json_values}), json_values)


ENDPOINTS = [
    ("POST", "/orgs/acme/members", {"username": "carol", "role": "member"}),
    ("PATCH", "/orgs/acme/members/bob", {"role": "admin"}),
    ("PATCH", "/orgs/acme/policy", {"mfa_enforced": True, "lockout_code_failures": 3}),
    ("POST", "/orgs/acme/members/bob/actions/unlock", {}),
    ("PUT", "/orgs/acme/members/bob/password", {"password": "a temporary passphrase 4711"}),
    (
        "POST",
        "/orgs/acme/identity-providers",
        {"alias": "acme-okta", "issuer": "https://idp.example", "client_id": "c"},
    ),
]


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
@pytest.mark.parametrize(("method", "path", "valid"), ENDPOINTS, ids=[e[1] for e in ENDPOINTS])
def test_no_admin_api_body_ends_in_a_server_error(
    api: Api, acme: World, method: str, path: str, valid: dict[str, Any]
) -> None:
    token = api.token("ada")

    @FUZZ
    @given(body=body_like(valid))
    def no_server_error(body: Any) -> None:
        response = api.client.open(
            f"/admin/api{path}",
            method=method,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code < 500, (body, response.get_data(as_text=True)[:500])

    no_server_error()


def test_a_body_nested_a_thousand_levels_deep_is_a_400_problem(api: Api, acme: World) -> None:
    deep = "[" * 1000 + "]" * 1000
    response = api.call(
        "POST", "/orgs/acme/members", "ada", data=deep, content_type="application/json"
    )
    body = assert_problem(response, 400, "http-error")
    assert "nested deeper than 32 levels" in body["detail"]


def test_a_body_over_64_kib_is_a_413_problem(api: Api, acme: World) -> None:
    response = api.post("/orgs/acme/members", "ada", {"username": "x" * 70_000})
    assert_problem(response, 413, "too-large")


@pytest.mark.postgres("PostgreSQL refuses a NUL byte in a query's text")
def test_a_nul_byte_in_a_body_is_refused_naming_the_field(api: Api, acme: World) -> None:
    response = api.post("/orgs/acme/members", "ada", {"username": "car\x00ol", "role": "member"})
    body = assert_problem(response, 422, "invalid-input")
    assert body["field"] == "username"
