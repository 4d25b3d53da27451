"""The operator's help with a user's password (issue 14, item 4): ``bridge user set-password
--temporary`` and ``bridge user send-reset-link``, with their refusals. A password is read from
a hidden prompt or standard input, never from the command line."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.bridges import Invoke

PASSPHRASE = "a long passphrase\n"
TEMPORARY = "a temporary passphrase 4711"


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    added = bridge_cli(
        "user", "add", "ada", "--email", "ada@example.com", "--password-stdin", stdin=PASSPHRASE
    )
    assert added.exit_code == 0, added.output
    return bridge_cli


def _rows(query: str) -> list[Any]:
    database = sqlite3.connect(Path("data") / "bridge.db")
    try:
        return list(database.execute(query))
    finally:
        database.close()


def test_a_temporary_password_from_standard_input_must_be_changed(run: Invoke) -> None:
    done = run("user", "set-password", "ADA", "--temporary", "--password-stdin", stdin=TEMPORARY)
    assert done.exit_code == 0, done.output
    assert "temporary password set for ada" in done.output
    assert _rows("SELECT password_must_change FROM users WHERE username = 'ada'") == [(1,)]
    [(details,)] = _rows("SELECT details FROM audit_events WHERE event = 'password_set_by_admin'")
    assert '"operator": true' in details and '"via": "cli"' in details
    assert _rows("SELECT subject FROM mail_outbox WHERE kind = 'password_set_by_admin'") == [
        ("A temporary password was set for your account",)
    ]


def test_the_password_is_asked_twice_at_a_hidden_prompt(run: Invoke) -> None:
    done = run("user", "set-password", "ada", "--temporary", stdin=f"{TEMPORARY}\n{TEMPORARY}\n")
    assert done.exit_code == 0, done.output
    assert TEMPORARY not in done.output  # hidden
    assert _rows("SELECT password_must_change FROM users WHERE username = 'ada'") == [(1,)]


def test_a_password_is_never_taken_from_the_command_line(run: Invoke) -> None:
    refused = run("user", "set-password", "ada", TEMPORARY, "--temporary")
    assert refused.exit_code == 2
    assert "unexpected extra argument" in refused.output.lower()


def test_a_password_the_policy_refuses_is_refused_with_its_reason(run: Invoke) -> None:
    refused = run("user", "set-password", "ada", "--temporary", "--password-stdin", stdin="short")
    assert refused.exit_code == 1
    # The embedded default requires 2FA of every account (mfa.required): 8 characters.
    assert refused.output == "Error: Use at least 8 characters for the password.\n"
    assert "Traceback" not in refused.output
    assert _rows("SELECT password_must_change FROM users WHERE username = 'ada'") == [(0,)]


def test_an_unknown_user_is_refused(run: Invoke) -> None:
    for args in (
        ("set-password", "nobody", "--temporary", "--password-stdin"),
        ("send-reset-link", "nobody"),
    ):
        refused = run("user", *args, stdin=TEMPORARY)
        assert refused.exit_code == 1, args
        assert "no user named 'nobody'" in refused.output
        assert "Traceback" not in refused.output


def test_a_permanent_password_clears_the_mark(run: Invoke) -> None:
    run("user", "set-password", "ada", "--temporary", "--password-stdin", stdin=TEMPORARY)
    done = run("user", "set-password", "ada", "--password-stdin", stdin="another long passphrase")
    assert done.exit_code == 0, done.output
    assert _rows("SELECT password_must_change FROM users WHERE username = 'ada'") == [(0,)]


def test_a_permanent_password_is_audited_mailed_and_ends_every_session(run: Invoke) -> None:
    run("user", "set-language", "ada", "de")
    done = run("user", "set-password", "ada", "--password-stdin", stdin="another long passphrase")
    assert done.exit_code == 0, done.output
    assert done.output == (
        "password set for ada: their sessions, grants and app\n"
        "passwords ended, and they were e-mailed\n"
    )
    [(details,)] = _rows("SELECT details FROM audit_events WHERE event = 'password_set_by_admin'")
    assert '"temporary": false' in details and '"operator": true' in details
    assert _rows("SELECT subject FROM mail_outbox WHERE kind = 'password_set_by_admin'") == [
        ("Für Ihr Konto wurde ein neues Kennwort festgelegt",)
    ]


def test_show_says_whether_a_temporary_password_waits(run: Invoke) -> None:
    assert "password:        set\n" in run("user", "show", "ada").output
    run("user", "set-password", "ada", "--temporary", "--password-stdin", stdin=TEMPORARY)
    shown = run("user", "show", "ada").output
    assert "password:        temporary (must be changed at the next sign-in)\n" in shown


def test_send_reset_link_mails_the_forgot_password_link(run: Invoke) -> None:
    sent = run("user", "send-reset-link", "ada")
    assert sent.exit_code == 0, sent.output
    assert sent.output.strip() == "reset link mailed to ada <ada@example.com>; it works for 15 min"
    [(subject, body)] = _rows(
        "SELECT subject, text_body FROM mail_outbox WHERE kind = 'password_reset'"
    )
    assert subject == "Set a new password"
    assert "http://127.0.0.1:8000/password/reset/" in body
    assert _rows(
        "SELECT count(*) FROM audit_events WHERE event = 'password_reset_link_sent_by_admin'"
    ) == [(1,)]


def test_send_reset_link_refuses_a_disabled_user_and_says_why(run: Invoke) -> None:
    assert run("user", "disable", "ada").exit_code == 0
    refused = run("user", "send-reset-link", "ada")
    assert refused.exit_code == 1
    assert "The account is disabled." in refused.output
    assert _rows("SELECT count(*) FROM mail_outbox WHERE kind = 'password_reset'") == [(0,)]


def test_every_option_has_help(run: Invoke) -> None:
    for command in ("set-password", "send-reset-link"):
        shown = run("user", command, "-h")
        assert shown.exit_code == 0 and "Usage:" in shown.output
    assert "--temporary" in run("user", "set-password", "-h").output
