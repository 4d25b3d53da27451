"""``bridge user delete|rename|set-email|export`` (issue 14): each with its refusals, help on
every option, and the export that never shows a secret."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click
import pytest

from bridge.cli.user_data_commands import USER_DATA_COMMANDS
from tests.bridges import Invoke

PASSPHRASE = "a long passphrase\n"


def _add(run: Invoke, username: str, email: str) -> None:
    added = run("user", "add", username, "--email", email, "--password-stdin", stdin=PASSPHRASE)
    assert added.exit_code == 0, added.output


def _rows(query: str) -> list[tuple[object, ...]]:
    database = sqlite3.connect(Path("data") / "bridge.db")
    try:
        return list(database.execute(query))
    finally:
        database.close()


@pytest.mark.parametrize("command", USER_DATA_COMMANDS, ids=lambda c: c.name)
def test_every_option_has_help_text(command: click.Command) -> None:
    assert command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{command.name} {param.opts}"


def test_delete_asks_first_and_keeps_the_account_when_told_no(bridge_cli: Invoke) -> None:
    _add(bridge_cli, "ada", "ada@example.com")
    kept = bridge_cli("user", "delete", "ada", stdin="n\n")
    assert kept.exit_code == 1 and "Delete ada (ada@example.com)" in kept.output
    assert "Aborted" in kept.output
    assert bridge_cli("user", "show", "ada").exit_code == 0
    deleted = bridge_cli("user", "delete", "ADA", stdin="y\n")
    assert deleted.exit_code == 0, deleted.output
    assert "deleted ada; the audit log calls them deleted-" in deleted.output
    assert bridge_cli("user", "show", "ada").exit_code == 1


def test_delete_with_yes_erases_and_audits_under_the_pseudonym(bridge_cli: Invoke) -> None:
    _add(bridge_cli, "ada", "ada@example.com")
    [(user_id,)] = _rows("SELECT id FROM users WHERE username = 'ada'")
    deleted = bridge_cli("user", "delete", "ada", "--yes")
    assert deleted.exit_code == 0, deleted.output
    alias = deleted.output.split("calls them ")[1].split()[0]
    assert _rows("SELECT count(*) FROM users") == [(0,)]
    events = _rows("SELECT event, user_id, details FROM audit_events")
    assert ("user_deleted", alias) in {(event, user) for event, user, _ in events}
    dumped = repr(events)
    assert user_id not in dumped and "ada@example.com" not in dumped and "'ada'" not in dumped


def test_delete_refuses_an_unknown_user_and_the_last_admin(bridge_cli: Invoke) -> None:
    unknown = bridge_cli("user", "delete", "nobody", "--yes")
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
    _add(bridge_cli, "ada", "ada@example.com")
    bridge_cli("org", "create", "acme", "--name", "Acme")
    bridge_cli("member", "add", "acme", "ada", "--role", "admin")
    refused = bridge_cli("user", "delete", "ada", "--yes")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "'ada' is the only admin of 'acme'" in refused.output
    assert bridge_cli("user", "show", "ada").exit_code == 0


def test_rename_keeps_the_account_and_refuses_taken_or_invalid_names(bridge_cli: Invoke) -> None:
    _add(bridge_cli, "ada", "ada@example.com")
    _add(bridge_cli, "bob", "bob@example.com")
    [(ada_id,)] = _rows("SELECT id FROM users WHERE username = 'ada'")
    renamed = bridge_cli("user", "rename", "ada", " Ada.Lovelace ")
    assert renamed.exit_code == 0 and renamed.output.strip() == "renamed ada to ada.lovelace"
    assert _rows("SELECT id FROM users WHERE username = 'ada.lovelace'") == [(ada_id,)]
    same = bridge_cli("user", "rename", "ada.lovelace", "ADA.LOVELACE")
    assert same.output.strip() == "ada.lovelace has that name already"
    for new, said in (
        ("BOB", "a user named 'bob' exists"),
        ("bob@example.com", "'bob@example.com' is another account's e-mail address"),
        ("ada lovelace", "must be 1-150 characters of a-z, 0-9"),
    ):
        refused = bridge_cli("user", "rename", "ada.lovelace", new)
        assert refused.exit_code == 1 and said in refused.output, refused.output
    unknown = bridge_cli("user", "rename", "nobody", "somebody")
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
    [(details,)] = _rows("SELECT details FROM audit_events WHERE event = 'user_renamed'")
    assert json.loads(str(details)) == {"from": "ada", "to": "ada.lovelace"}


def test_set_email_checks_the_address_and_its_uniqueness(bridge_cli: Invoke) -> None:
    _add(bridge_cli, "ada", "ada@example.com")
    _add(bridge_cli, "bob", "bob@example.com")
    changed = bridge_cli("user", "set-email", "ada", " Ada@Lovelace.EXAMPLE ")
    assert (
        changed.exit_code == 0 and changed.output.strip() == "e-mail of ada: Ada@lovelace.example"
    )
    assert _rows("SELECT email, email_verified FROM users WHERE username = 'ada'") == [
        ("Ada@lovelace.example", 0)
    ]
    taken = bridge_cli("user", "set-email", "ada", "BOB@example.com")
    assert taken.exit_code == 1
    assert "another account has the e-mail address 'BOB@example.com'" in taken.output
    for bad in (
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
        "ada@exa_mple.com",
    ):
        refused = bridge_cli("user", "set-email", "ada", bad)
        assert refused.exit_code == 1 and "is not an e-mail address" in refused.output, bad
    unknown = bridge_cli("user", "set-email", "nobody", "nobody@example.com")
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
    assert _rows("SELECT count(*) FROM audit_events WHERE event = 'user_email_changed'") == [(1,)]


def test_set_email_tells_the_old_address_with_the_new_one_masked(bridge_cli: Invoke) -> None:
    _add(bridge_cli, "ada", "ada@example.com")
    assert bridge_cli("user", "set-language", "ada", "de").exit_code == 0
    assert bridge_cli("user", "set-email", "ada", "lovelace@newmail.example").exit_code == 0
    [(recipient, subject, body, language)] = _rows(
        "SELECT recipient, subject, text_body, language FROM mail_outbox "
        "WHERE kind = 'email_changed'"
    )
    assert recipient == "ada@example.com" and language == "de"
    assert subject == "Die E-Mail-Adresse Ihres Kontos wurde geändert"
    assert "l***@newmail.example" in body and "lovelace@" not in body
    unchanged = bridge_cli("user", "set-email", "ada", "lovelace@newmail.example")
    refused = bridge_cli("user", "set-email", "ada", "not an address")
    assert unchanged.exit_code == 0 and refused.exit_code == 1
    assert _rows("SELECT count(*) FROM mail_outbox WHERE kind = 'email_changed'") == [(1,)]


def test_export_shows_what_the_bridge_holds_and_no_secret(bridge_cli: Invoke) -> None:
    _add(bridge_cli, "ada", "ada@example.com")
    bridge_cli("org", "create", "acme", "--name", "Acme")
    bridge_cli("member", "add", "acme", "ada", "--role", "admin")
    exported = bridge_cli("user", "export", "ada")
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.output)
    assert document["format"] == "bridge-subject-access/v1"
    assert document["profile"]["username"] == "ada"
    assert document["profile"]["email"] == "ada@example.com"
    assert document["profile"]["password_set"] is True
    assert document["memberships"] == [
        {
            "org": "acme",
            "name": "Acme",
            "role": "admin",
            "since": document["memberships"][0]["since"],
        }
    ]
    assert document["second_factor"]["totp"] is False
    assert {e["event"] for e in document["audit_events"]} >= {"member_added"}
    [(password_hash,)] = _rows("SELECT password_hash FROM users")
    assert str(password_hash) not in exported.output and "argon2" not in exported.output
    assert _rows("SELECT count(*) FROM audit_events WHERE event = 'user_data_exported'") == [(1,)]
    unknown = bridge_cli("user", "export", "nobody")
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
