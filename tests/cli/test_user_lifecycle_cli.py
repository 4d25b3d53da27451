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


def test_version_and_short_help(run: Invoke) -> None:
    version = run("--version")
    assert version.exit_code == 0 and version.output.startswith("bridge, version ")
    for args in (("-h",), ("user", "-h"), ("user", "disable", "-h")):
        shown = run(*args)
        assert shown.exit_code == 0 and "Usage:" in shown.output, args


def test_disable_enable_show_and_unlock(run: Invoke) -> None:
    _add(run, "ada", "ada@example.com")
    shown = run("user", "show", "ADA")
    assert shown.exit_code == 0 and "disabled:        no" in shown.output
    assert "e-mail:          ada@example.com" in shown.output
    disabled = run("user", "disable", "ada")
    assert disabled.exit_code == 0 and disabled.output.strip() == "disabled ada"
    assert run("user", "disable", "ada").output.strip() == "ada was disabled already"
    assert "disabled:        yes" in run("user", "show", "ada").output
    enabled = run("user", "enable", "ada")
    assert enabled.exit_code == 0 and enabled.output.strip() == "enabled ada"
    assert run("user", "enable", "ada").output.strip() == "ada was not disabled"
    unlocked = run("user", "unlock", "ada")
    assert unlocked.exit_code == 0 and unlocked.output.strip() == "ada was not locked"


@pytest.mark.parametrize("command", ["disable", "enable", "unlock", "show"])
def test_lifecycle_commands_refuse_an_unknown_user(run: Invoke, command: str) -> None:
    refused = run("user", command, "nobody")
    assert refused.exit_code == 1
    assert "no user named 'nobody'" in refused.output and "Traceback" not in refused.output
