"""The forward-auth endpoint itself, through the test client: bad input is a clear 401 (never
a 5xx), redirect targets are only ever the configured hosts, bearer tokens pass."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient

from bridge.services.app_password_values import Origin
from tests.admin_api import Api
from tests.world import World

PROXY = "app.example.com"


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    return {"forward_auth": {"return_hosts": [PROXY], "trusted_proxies": ["127.0.0.1/32"]}}


def _basic(username: str, password: str | bytes) -> str:
    raw = password if isinstance(password, bytes) else password.encode()
    return "Basic " + base64.b64encode(username.encode() + b":" + raw).decode()


def test_an_app_password_passes_with_the_configured_headers(
    client: FlaskClient, world: World
) -> None:
    user_id = world.user("ada")
    new = world.services.app_passwords.create_own(user_id, "x", None, Origin(user_id))
    response = client.get("/forward-auth", headers={"Authorization": _basic("ada", new.secret)})
    assert response.status_code == 200
    assert response.headers["X-Bridge-User"] == "ada"
    assert response.headers["X-Bridge-Auth-Method"] == "app_password"


@pytest.mark.parametrize(
    "header",
    [
        "Basic " + "A" * 10_000,  # huge
        "Basic ###",  # not base64
        "Basic " + base64.b64encode(b"ada\xff\xfe:secret").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"ada:").decode(),
        "Basic " + base64.b64encode(b"ada:pass\x00word").decode(),
        "Bearer ",
        "Negotiate abc",
    ],
)
def test_unreadable_credentials_are_401(client: FlaskClient, header: str) -> None:
    response = client.get("/forward-auth", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_an_app_password_of_another_user_is_401_and_counts_against_the_named_one(
    client: FlaskClient, world: World
) -> None:
    ada, bob = world.user("ada"), world.user("bob")
    bobs = world.services.app_passwords.create_own(bob, "x", None, Origin(bob))
    response = client.get("/forward-auth", headers={"Authorization": _basic("ada", bobs.secret)})
    assert response.status_code == 401
    [failed] = world.services.audit.events(event="sign_in_failed", user_id=ada)
    assert failed.reason == "wrong_password" and failed.details["via"] == "forward_auth"


def test_too_many_failures_from_one_address_are_throttled(
    client: FlaskClient, world: World
) -> None:
    headers = {"Authorization": _basic("nobody", "x" * 30)}
    for _ in range(world.services.lockout.ip_limit + 2):
        response = client.get("/forward-auth", headers=headers)
    assert response.status_code == 401 and int(response.headers["Retry-After"]) > 0


def test_the_client_address_comes_from_a_trusted_proxy_only(
    client: FlaskClient, world: World
) -> None:
    headers = {"Authorization": _basic("nobody", "x"), "X-Forwarded-For": "198.51.100.9"}
    client.get("/forward-auth", headers=headers)
    client.get("/forward-auth", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    ips = {event.ip for event in world.services.audit.events(event="sign_in_failed")}
    assert ips == {"198.51.100.9", "192.0.2.1"}


def test_a_bearer_access_token_passes_and_a_wrong_one_is_401(
    client: FlaskClient, world: World, api: Api
) -> None:
    world.user("ada")
    token = api.token("ada", "openid")
    response = client.get("/forward-auth", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.headers["X-Bridge-Auth-Method"] == "bearer"
    world.services.lockout.lock(world.row("ada").id, reason="admin")
    assert (
        client.get("/forward-auth", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    response = client.get("/forward-auth", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_browser_without_a_session_is_sent_to_sign_in_with_a_safe_return(
    client: FlaskClient,
) -> None:
    html = {"Accept": "text/html", "X-Forwarded-Proto": "https", "X-Forwarded-Host": PROXY}
    response = client.get("/forward-auth", headers={**html, "X-Forwarded-Uri": "/a?b=1"})
    assert response.status_code == 302
    assert "rd=https%3A%2F%2Fapp.example.com%2Fa%3Fb%3D1" in response.headers["Location"]
    for host, uri in (
        ("evil.example", "/a"),
        (PROXY, "//evil.example/a"),
        (PROXY, "/\\evil.example"),
        (PROXY + "@evil.example", "/"),
        (PROXY, "/a b"),
        (PROXY, "/caf\u00e9"),
    ):
        response = client.get(
            "/forward-auth", headers={**html, "X-Forwarded-Host": host, "X-Forwarded-Uri": uri}
        )
        assert response.status_code == 302
        assert "rd=" not in response.headers["Location"], (host, uri)


def test_a_program_without_credentials_gets_401(client: FlaskClient) -> None:
    response = client.get("/forward-auth", headers={"Accept": "application/json"})
    assert response.status_code == 401 and "X-Bridge-Sign-In" not in response.headers


@pytest.mark.parametrize(
    "rd", ["https://evil.example/", "//evil.example", "javascript:alert(1)", "/relative"]
)
def test_the_sign_in_page_never_returns_to_an_unknown_host(client: FlaskClient, rd: str) -> None:
    response = client.get("/forward-auth/sign-in", query_string={"rd": rd})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
