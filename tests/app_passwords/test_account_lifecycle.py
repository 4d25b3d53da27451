"""An app password dies with its account (issue 14): Basic auth with it answers 401 once the
account is disabled (``bridge user disable``: ``AppPasswords.revoke_all``) or deleted."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient

from bridge.services.account.erasure import delete_account
from bridge.services.account.lifecycle import disable, enable
from bridge.services.app_password_values import Origin
from tests.world import World


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    return {"forward_auth": {"return_hosts": ["app.example.com"], "trusted_proxies": []}}


def _basic(username: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_disabling_revokes_the_app_passwords(client: FlaskClient, acme: World) -> None:
    robot = acme.row("robot")
    made = acme.services.app_passwords.create_own(robot.id, "CI", None, Origin(robot.id))
    headers = _basic("robot", made.secret)
    assert client.get("/forward-auth", headers=headers).status_code == 200
    assert disable(acme.services, "robot")
    assert client.get("/forward-auth", headers=headers).status_code == 401
    [revoked] = acme.services.audit.events(event="app_password_revoked", user_id=robot.id)
    assert revoked.reason == "user_disabled"
    assert acme.services.app_passwords.list_own(robot.id) == []
    enable(acme.services, "robot")  # enabling brings none back
    assert client.get("/forward-auth", headers=headers).status_code == 401


def test_a_deleted_accounts_app_password_answers_401(client: FlaskClient, acme: World) -> None:
    bob = acme.row("bob")
    made = acme.services.app_passwords.create_own(bob.id, "Mail", None, Origin(bob.id))
    headers = _basic("bob", made.secret)
    assert client.get("/forward-auth", headers=headers).status_code == 200
    delete_account(acme.services, "bob")
    assert client.get("/forward-auth", headers=headers).status_code == 401
