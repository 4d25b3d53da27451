"""The durable outbox (issue 15): a message is a row written with its change, survives a
restart, is sent by any process exactly once after the server acknowledged it, and is retried
with backoff after a failure, against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bridge.domain.clock import FrozenClock
from bridge.domain.events import AuditEventName
from bridge.mail import MailMessage, MailTemplates, Outbox, SmtpTransport
from bridge.services.audit import AuditLog
from bridge.storage.db.engine import Database
from bridge.storage.db.models.outbox import OutboxMail
from bridge.storage.db.unit import unit_of_work
from tests.factors.smtp_server import Inbox, smtp_server
from tests.ports import unused_port

pytestmark = pytest.mark.postgres(
    "senders in several processes claim rows: row locks (SKIP LOCKED) on PostgreSQL, the write "
    "lock on SQLite; every sender has connections of its own, so rows are committed",
    committed=True,
)

LOCKED = {"username": "alice", "when": "2026-11-24 02:00 UTC", "reason": "codes", "until": None}


class FlakyInbox(Inbox):
    """Answers DATA with a temporary failure (451) the first ``failures`` times."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.tries = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.tries += 1
        if self.tries <= self.failures:
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def port() -> int:
    return unused_port()


@pytest.fixture
def inbox(port: int) -> Iterator[Inbox]:
    received = Inbox()
    with smtp_server(received, port):
        yield received


def message(to: str = "alice@example.org") -> MailMessage:
    return MailTemplates().render("account_locked", to=to, **LOCKED)


def another_process(database: Database) -> Database:
    """The same database through connections of another "process" (an engine of its own)."""
    return Database(database.url.render_as_string(hide_password=False))


def smtp(port: int) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, sender="bridge@example.org", security="none", timeout=5)


def rows(database: Database) -> list[OutboxMail]:
    with database.session() as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.created_at)))


def test_a_message_is_kept_only_when_its_change_commits(database: Database, port: int) -> None:
    outbox = Outbox(database, smtp(port))

    def change_that_fails() -> None:
        with unit_of_work():
            outbox.send(message("rolled-back@example.org"))
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    with unit_of_work():
        outbox.send(message("committed@example.org"))
    assert [row.recipient for row in rows(database)] == ["committed@example.org"]


def test_a_message_queued_before_a_restart_is_sent_after_it(database: Database, port: int) -> None:
    before = Outbox(database, smtp(port))
    before.send(message())
    before.close()  # the process stops before its sender ran: nothing is lost

    after = Outbox(another_process(database), smtp(port))
    received = Inbox()
    with smtp_server(received, port):
        after.start()
        assert after.wait_idle(10)
    after.close()
    after.db.dispose()
    assert [m.recipients for m in received.messages] == [["alice@example.org"]]
    assert [row.status for row in rows(database)] == ["sent"]


def test_a_sender_that_died_mid_delivery_leaves_the_message_to_the_next_after_its_lease(
    database: Database, inbox: Inbox, port: int
) -> None:
    now = [1_800_000_000.0]
    dying = Outbox(database, smtp(port), lease=60, clock=lambda: now[0])
    dying.send(message())
    (claimed,) = dying._claim()  # claimed, then the process was killed before delivering

    survivor = Outbox(another_process(database), smtp(port), lease=60, clock=lambda: now[0])
    assert survivor.deliver_due() == 0  # still leased to the dead sender
    now[0] += 61
    assert survivor.deliver_due() == 1
    survivor.db.dispose()
    assert [m.recipients for m in inbox.messages] == [["alice@example.org"]]
    assert claimed.attempts == 1 and rows(database)[0].attempts == 2


def test_two_senders_deliver_every_message_exactly_once(
    database: Database, inbox: Inbox, port: int
) -> None:
    recipients = [f"user{n}@example.org" for n in range(30)]
    writer = Outbox(database, smtp(port))
    for to in recipients:
        writer.send(message(to))

    senders = [Outbox(another_process(database), smtp(port), batch=3) for _ in range(2)]
    start = threading.Barrier(2)

    def run(outbox: Outbox) -> None:
        start.wait()
        while outbox.deliver_due():
            pass

    threads = [threading.Thread(target=run, args=(outbox,)) for outbox in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for outbox in senders:
        outbox.db.dispose()

    delivered = sorted(to for m in inbox.messages for to in m.recipients)
    assert delivered == sorted(recipients)  # none lost, none twice
    assert {row.status for row in rows(database)} == {"sent"}


def test_an_acknowledged_message_is_never_sent_again(
    database: Database, inbox: Inbox, port: int
) -> None:
    now = [1_800_000_000.0]
    outbox = Outbox(database, smtp(port), lease=60, clock=lambda: now[0])
    outbox.send(message())
    assert outbox.deliver_due() == 1
    now[0] += 3600  # long past any lease or retry
    assert outbox.deliver_due() == 0
    assert len(inbox.messages) == 1


def test_a_temporary_failure_is_retried_with_exponential_backoff(
    database: Database, port: int
) -> None:
    now = [1_800_000_000.0]
    outbox = Outbox(database, smtp(port), retry_delay=5, clock=lambda: now[0])
    outbox.send(message())
    flaky = FlakyInbox(failures=2)
    with smtp_server(flaky, port):
        assert outbox.deliver_due() == 1  # 451: first retry in 5 s
        (row,) = rows(database)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "451" in (row.last_error or "")
        assert row.next_attempt_at.timestamp() == now[0] + 5
        now[0] += 4
        assert outbox.deliver_due() == 0  # not due yet
        now[0] += 1
        assert outbox.deliver_due() == 1  # 451 again: the next retry waits twice as long
        assert rows(database)[0].next_attempt_at.timestamp() == now[0] + 10
        now[0] += 10
        assert outbox.deliver_due() == 1
    assert flaky.tries == 3
    assert [m.recipients for m in flaky.messages] == [["alice@example.org"]]
    (row,) = rows(database)
    assert (row.status, row.attempts) == ("sent", 3)


def test_a_message_given_up_is_failed_and_audited_together(
    database: Database, port: int, clock: FrozenClock
) -> None:
    audit = AuditLog(database, clock)

    def record(failed: MailMessage, reason: str) -> None:
        audit.record(
            AuditEventName.MAIL_FAILED,
            user_id=failed.user_id,
            reason=reason,
            details={"kind": failed.kind},
        )

    outbox = Outbox(database, smtp(port), max_attempts=1, on_failure=record)
    outbox.send(message())
    assert outbox.deliver_due() == 1  # nothing listens on the port
    (row,) = rows(database)
    assert row.status == "failed" and "ConnectionRefusedError" in (row.last_error or "")
    (event,) = audit.events(event="mail_failed")
    assert event.details == {"kind": "account_locked"}
    status = outbox.status()
    assert (status.pending, status.failed, status.sent) == (0, 1, 0)
    assert status.recent_failures[0][1:3] == ("account_locked", "alice@example.org")
