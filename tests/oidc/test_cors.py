"""CORS: the endpoints a single-page application calls, from the origins clients registered."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from bridge.services.container import Services

SPA = "https://spa.example.com"
ALLOW_ORIGIN = "Access-Control-Allow-Origin"


@pytest.fixture(autouse=True)
def spa_client(services: Services) -> str:
    """A public client whose redirect URI (default port written out) is at the SPA's origin."""
    return services.clients.add("SPA", [f"{SPA}:443/callback"], public=True)[0].id


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/jwks"])
def test_discovery_and_jwks_are_readable_from_any_origin(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://anyone.example"})
    assert response.status_code == 200
    assert response.headers[ALLOW_ORIGIN] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    ("path", "method", "methods"),
    [
        ("/token", "POST", "POST"),
        ("/userinfo", "GET", "GET, POST"),
        ("/revoke", "POST", "POST"),
        ("/introspect", "POST", "POST"),
    ],
)
def test_a_preflight_from_a_registered_origin_is_allowed(
    client: FlaskClient, path: str, method: str, methods: str
) -> None:
    response = client.options(
        path,
        headers={
            "Origin": SPA,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers[ALLOW_ORIGIN] == SPA
    assert response.headers["Access-Control-Allow-Methods"] == methods
    assert response.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_token_answers_a_registered_origin_even_with_an_error(client: FlaskClient) -> None:
    response = client.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "nope", "client_id": "x"},
        headers={"Origin": SPA},
    )
    assert response.status_code == 400
    assert response.headers[ALLOW_ORIGIN] == SPA
    assert "Origin" in response.headers["Vary"]


def test_userinfo_lets_a_registered_origin_read_its_401(client: FlaskClient) -> None:
    response = client.get("/userinfo", headers={"Origin": SPA, "Authorization": "Bearer no"})
    assert response.status_code == 401
    assert response.headers[ALLOW_ORIGIN] == SPA
    assert response.headers["Access-Control-Expose-Headers"] == "WWW-Authenticate"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://spa.example.com",  # another scheme
        "https://spa.example.com:8443",  # another port
        "https://spa.example.com:443",  # never what a browser sends
        "https://spa.example.com.evil.example",
        "null",
    ],
)
@pytest.mark.parametrize("path", ["/token", "/userinfo", "/revoke", "/introspect"])
def test_an_origin_no_client_registered_gets_no_cors_headers(
    client: FlaskClient, path: str, origin: str
) -> None:
    preflight = client.options(
        path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert ALLOW_ORIGIN not in preflight.headers
    assert "Access-Control-Allow-Methods" not in preflight.headers
    actual = client.post(path, data={}, headers={"Origin": origin})
    assert ALLOW_ORIGIN not in actual.headers


@pytest.mark.parametrize(
    "path",
    ["/authorize", "/logout", "/login/some-flow", "/account", "/admin/api/v1/orgs", "/health"],
)
def test_pages_authorize_and_the_admin_api_never_send_cors_headers(
    client: FlaskClient, path: str
) -> None:
    for response in (
        client.options(path, headers={"Origin": SPA, "Access-Control-Request-Method": "GET"}),
        client.get(path, headers={"Origin": SPA}),
    ):
        assert ALLOW_ORIGIN not in response.headers, (path, response.status_code)
        assert not any(h.startswith("Access-Control-") for h, _ in response.headers.items())


def test_without_an_origin_nothing_changes(client: FlaskClient) -> None:
    response = client.get("/.well-known/openid-configuration")
    assert ALLOW_ORIGIN not in response.headers
    token = client.post("/token", data={"grant_type": "authorization_code"})
    assert ALLOW_ORIGIN not in token.headers


def test_the_origin_of_a_disabled_client_is_not_allowed_until_it_is_enabled(
    client: FlaskClient, services: Services, spa_client: str
) -> None:
    preflight = {"Origin": SPA, "Access-Control-Request-Method": "POST"}
    services.client_lifecycle.disable(spa_client)
    assert ALLOW_ORIGIN not in client.options("/token", headers=preflight).headers
    services.client_lifecycle.enable(spa_client)
    assert client.options("/token", headers=preflight).headers[ALLOW_ORIGIN] == SPA
