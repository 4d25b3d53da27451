"""A temporary password signs in only to choose a new one (issue 14): where the forward-auth
endpoint accepts account passwords over Basic auth, it refuses a temporary one, and takes the
person's own once it replaced it."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.services.account.admin_passwords import set_temporary_password
from bridge.services.container import Services
from bridge.services.forward_auth import Caller, ForwardAuth, Identity, Refusal
from bridge.services.orgs import Actor

TEMPORARY = "a temporary passphrase 4711"
OWN = "a passphrase of my very own"
CALLER = Caller(ip="192.0.2.7", user_agent="curl")


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    return {"forward_auth": {"accept_account_passwords": True}, "mfa": {"required": False}}


def test_basic_auth_refuses_a_temporary_password_then_takes_the_own_one(
    services: Services,
) -> None:
    user = services.users.create("ada", email="ada@example.com", password=OWN + " first")
    set_temporary_password(services, Actor.operator(), None, "ada", TEMPORARY)
    verdict = ForwardAuth(services).basic("ada", TEMPORARY, CALLER)
    assert verdict == Refusal("password_must_change")
    [event] = services.audit.events(event="sign_in_failed", user_id=user.id)
    assert event.reason == "password_must_change"
    services.users.replace_password(user.id, OWN)
    verdict = ForwardAuth(services).basic("ada", OWN, CALLER)
    assert isinstance(verdict, Identity) and verdict.method == "password"
