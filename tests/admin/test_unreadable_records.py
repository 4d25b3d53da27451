"""A session or a code the bridge cannot read (written by another version of it) is refused with
a log line and treated as absent over HTTP: the browser signs in again, the code is invalid_grant.
Never a 500."""

from __future__ import annotations

import hashlib

import pytest

from bridge.app import create_app
from bridge.oidc.tokens import token_hash
from bridge.services.container import Services
from tests.world import World

CALLBACK = "http://127.0.0.1:9/callback"


def test_an_unreadable_session_sends_the_browser_to_sign_in(
    services: Services,
    world: World,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world.user("ada")
    client = create_app(services=services).test_client()
    token = services.sessions.create(world.row("ada").id, ("pwd",), int(world.clock()), None)
    key = "session:" + hashlib.sha256(token.encode()).hexdigest()
    record = services.store.get(key)
    assert record is not None
    services.store.put(key, {**record, "version": 2}, 3600)
    client.set_cookie(services.settings.session.cookie_name, token)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]
    assert "browser session refused" in caplog.text


def test_an_unreadable_code_is_an_invalid_grant(
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record, secret = services.clients.add("App", [CALLBACK])
    services.store.put(f"code:{token_hash('the-code')}", {"version": 2}, 60)
    client = create_app(services=services).test_client()

    response = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": "the-code",
            "redirect_uri": CALLBACK,
            "code_verifier": "v" * 43,
        },
        auth=(record.id, secret or ""),
    )

    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_grant"
    assert "authorization code refused" in caplog.text
