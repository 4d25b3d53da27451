"""``bridge mail status`` and ``bridge mail worker``: what an operator sees and runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.mail import LogTransport, MailTemplates, Outbox
from bridge.storage.db.engine import Database
from tests.bridges import Invoke
from tests.factors.smtp_server import Inbox, smtp_server
from tests.ports import unused_port


def queue_one(data_dir: Path, to: str) -> None:
    """A message left in the outbox by a process that stopped before sending it."""
    database = Database(f"sqlite:///{data_dir / 'bridge.db'}")
    try:
        message = MailTemplates().render("reset_approved", to=to, username="a", when="now")
        Outbox(database, LogTransport()).send(message)
    finally:
        database.dispose()


def test_status_shows_what_waits_and_the_worker_delivers_it(
    bridge_cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_one(tmp_path / "data", "alice@example.org")
    assert "pending: 1" in bridge_cli("mail", "status").output

    port = unused_port()
    monkeypatch.setenv("BRIDGE_MAIL__HOST", "127.0.0.1")
    monkeypatch.setenv("BRIDGE_MAIL__PORT", str(port))
    monkeypatch.setenv("BRIDGE_MAIL__SECURITY", "none")
    inbox = Inbox()
    with smtp_server(inbox, port):
        result = bridge_cli("mail", "worker", "--once")
    assert result.exit_code == 0, result.output
    assert "1 message(s) attempted, 0 pending" in result.output
    assert [m.recipients for m in inbox.messages] == [["alice@example.org"]]
    status = bridge_cli("mail", "status").output
    assert "pending: 0" in status and "sent:    1" in status


def test_status_names_a_message_that_was_given_up(
    bridge_cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_one(tmp_path / "data", "alice@example.org")
    monkeypatch.setenv("BRIDGE_MAIL__HOST", "127.0.0.1")
    monkeypatch.setenv("BRIDGE_MAIL__PORT", str(unused_port()))  # nothing listens
    monkeypatch.setenv("BRIDGE_MAIL__SECURITY", "none")
    monkeypatch.setenv("BRIDGE_MAIL__MAX_ATTEMPTS", "1")
    bridge_cli("mail", "worker", "--once")
    status = bridge_cli("mail", "status").output
    assert "failed:  1" in status
    assert "reset_approved to alice@example.org: ConnectionRefusedError" in status
