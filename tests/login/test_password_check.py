"""The password page's check reads its account once, and asks again after the verify what may
have changed meanwhile (issue 16): a lock or a conversion to a service account still counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from bridge.services.passwords import PasswordHasher
from bridge.storage.db.models import User
from tests.e2e.harness import PASSWORD
from tests.world import World


def _meanwhile(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """Run ``change`` while the next password is being verified."""
    verify = PasswordHasher.verify

    def verify_then_change(self: PasswordHasher, *args: Any) -> bool:
        matched = verify(self, *args)
        change()
        return matched

    monkeypatch.setattr(PasswordHasher, "verify", verify_then_change)


def test_an_account_locked_while_its_password_is_verified_is_refused_as_locked(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.user("alice")
    db = world.services.db
    locked = update(User).where(User.id == alice).values(locked_at=datetime(2026, 1, 1, tzinfo=UTC))
    _meanwhile(monkeypatch, lambda: db.run(locked))
    check = world.services.directory.bound(ip=None, user_agent=None, trust_token=None)
    result = check.check_password("alice", PASSWORD)
    assert (result.user_id, result.reason) == (None, "locked")


def test_an_account_made_a_service_account_while_its_password_is_verified_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.user("alice")
    db = world.services.db
    converted = update(User).where(User.id == alice).values(service_account=True)
    _meanwhile(monkeypatch, lambda: db.run(converted))
    directory = world.services.directory.bound(ip=None, user_agent=None, trust_token=None)
    result = directory.check_password("alice", PASSWORD)
    assert (result.user_id, result.reason) == (None, "service_account")


def test_an_account_signs_in_by_its_username_in_any_case_or_by_its_email_address(
    world: World,
) -> None:
    alice = world.user("alice")
    directory = world.services.directory.bound(ip=None, user_agent=None, trust_token=None)
    for name in ("alice", " Alice ", "alice@example.com", "ALICE@example.com"):
        assert directory.check_password(name, PASSWORD).user_id == alice


def test_a_wrong_password_for_a_known_account_names_it_for_the_lockout(world: World) -> None:
    alice = world.user("alice")
    directory = world.services.directory.bound(ip=None, user_agent=None, trust_token=None)
    result = directory.check_password("alice", "not the password")
    assert (result.user_id, result.reason, result.known_user_id) == (
        None,
        "wrong_password",
        alice,
    )
