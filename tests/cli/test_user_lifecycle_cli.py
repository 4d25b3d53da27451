"""The operator's account commands of issue 14: e-mail conflicts, and the lifecycle of users
and clients, each with its refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.bridges import Invoke

PASSPHRASE = "a long passphrase\n"


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    return bridge_cli


def _add(run: Invoke, username: str, email: str) -> None:
    added = run("user", "add", username, "--email", email, "--password-stdin", stdin=PASSPHRASE)
    assert added.exit_code == 0, added.output


def test_user_add_refuses_an_address_another_account_has(run: Invoke) -> None:
    _add(run, "ada", "ada@example.com")
    again = run(
        "user", "add", "eve", "--email", "ADA@Example.COM", "--password-stdin", stdin=PASSPHRASE
    )
    assert again.exit_code == 1
    assert "another account has the e-mail address 'ADA@Example.COM'" in again.output
    assert "Traceback" not in again.output


def test_email_conflicts_lists_shared_addresses_then_makes_them_unique(run: Invoke) -> None:
    ok = run("user", "email-conflicts")
    assert ok.exit_code == 0 and "no e-mail address is shared" in ok.output
    assert "unique from now on" not in ok.output  # a fresh database has the index already
    database = sqlite3.connect(Path("data") / "bridge.db")
    try:
        database.execute("DROP INDEX uq_users_email_key")  # as migration 0015 leaves a conflict
        database.commit()
        _add(run, "ada", "ada@example.com")
        _add(run, "bob", "bob@example.com")
        database.execute("UPDATE users SET email = 'Ada@Example.com' WHERE username = 'bob'")
        database.commit()
        listed = run("user", "email-conflicts")
        assert listed.exit_code == 1
        assert "ada@example.com\tada bob" in listed.output
        assert "1 e-mail addresses are shared by several accounts" in listed.output
        database.execute("UPDATE users SET email = 'bob@example.com' WHERE username = 'bob'")
        database.commit()
    finally:
        database.close()
    fixed = run("user", "email-conflicts")
    assert fixed.exit_code == 0, fixed.output
    assert "e-mail addresses are unique from now on" in fixed.output
