"""The outbox: a table of messages, written in the transaction of the change they announce, and
the sender that delivers them with retries, from any process.

``send`` adds a row to the current unit of work (a request, a CLI command; outside one, a
transaction of its own) and returns at once, so no login waits for a mail server, and a change
that is rolled back is never announced. A sender (``start``: a thread in this process; or
``bridge mail worker``) claims due rows, delivers each and records the outcome:

- **Claims** are leases: one ``UPDATE`` marks up to a batch of due rows with a random token and
  a lease end; on PostgreSQL its sub-select is ``FOR UPDATE SKIP LOCKED``, so concurrent
  senders take disjoint rows without waiting for each other; on SQLite the conditional
  ``UPDATE`` runs under the database's write lock, which is as safe. A sender that dies
  mid-delivery leaves its rows to the next sender once the lease has run out.
- **Acknowledged** sends are marked ``sent`` right after the server's answer, only while the
  claim is still held; a ``sent`` row is never delivered again. The one window left is a
  process killed between the server's acknowledgement and that commit: the message is then
  delivered again after the lease (at least once, never lost).
- **Failures** are retried after ``retry_delay`` seconds, doubling up to ``max_delay``, at most
  ``max_attempts`` times; a permanent refusal (5xx) is not retried. A message given up (or
  refused because ``queue_size`` messages are waiting already) is marked ``failed``, logged as
  an error and passed to ``on_failure`` (the audit's ``mail_failed``) in the same transaction.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from bridge.mail.message import MailMessage
from bridge.mail.smtp import PermanentMailError, Transport
from bridge.mail.status import OutboxStatus, read_status
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models.outbox import FAILED, PENDING, SENT, OutboxMail
from bridge.storage.db.unit import unit_of_work, when_committed

log = logging.getLogger(__name__)

FailureHandler = Callable[[MailMessage, str], None]
#: Called after every attempt with its outcome: ``"sent"``, ``"retry"`` or ``"failed"``.
OutcomeHandler = Callable[[MailMessage, str], None]

#: Sent rows are deleted after this long (their delivery is in the log).
KEEP_SENT = timedelta(days=7)


@dataclass(frozen=True)
class Claimed:
    id: str
    claim: str
    attempts: int
    message: MailMessage


def _message(row: OutboxMail) -> MailMessage:
    return MailMessage(
        kind=row.kind,
        to=row.recipient,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        language=row.language,
        user_id=row.user_id,
        headers=dict(row.headers or {}),
    )


class Outbox:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        queue_size: int = 1000,
        max_attempts: int = 6,
        retry_delay: float = 5.0,
        max_delay: float = 300.0,
        lease: float = 300.0,
        poll_interval: float = 10.0,
        batch: int = 20,
        on_failure: FailureHandler | None = None,
        on_outcome: OutcomeHandler | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if queue_size < 1 or max_attempts < 1 or retry_delay <= 0 or lease <= 0:
            raise ValueError("queue_size, max_attempts must be at least 1; delays above 0")
        self.db = db
        self.transport = transport
        self._queue_size = queue_size
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._max_delay = max_delay
        self._lease = lease
        self._poll_interval = poll_interval
        self._batch = batch
        self._on_failure = on_failure
        self._on_outcome = on_outcome
        self._clock = clock
        self._stopping = False
        self._woken = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._last_purge = 0.0

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # --- the writing side ------------------------------------------------------------------

    def send(self, message: MailMessage) -> bool:
        """Add ``message`` to the outbox in the current transaction; False (logged, reported)
        when ``queue_size`` messages are waiting already."""
        now = self._now()
        with self.db.session() as session:
            waiting = session.scalar(
                select(func.count()).select_from(OutboxMail).where(OutboxMail.status == PENDING)
            )
            accepted = (waiting or 0) < self._queue_size
            if accepted:
                session.add(
                    OutboxMail(
                        id=uuid.uuid4().hex,
                        kind=message.kind,
                        recipient=message.to,
                        subject=message.subject,
                        text_body=message.text,
                        html_body=message.html,
                        language=message.language,
                        user_id=message.user_id,
                        headers=dict(message.headers),
                        status=PENDING,
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
        if accepted:
            when_committed(self.wake)  # the sender looks at once, not at its next poll
            return True
        self._report(message, f"the outbox is full ({self._queue_size} messages)", 0)
        return False

    # --- the sending side ------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Claim what is due and deliver it, in the calling thread; how many were attempted."""
        self._purge_sent()
        claimed = self._claim()
        done = 0
        for item in claimed:
            if self._stopping:
                self._release(item)
                continue
            self._attempt(item)
            done += 1
        return done

    def _claim(self) -> list[Claimed]:
        now = self._now()
        token = secrets.token_hex(16)
        due = (
            select(OutboxMail.id)
            .where(
                OutboxMail.status == PENDING,
                OutboxMail.next_attempt_at <= now,
                (OutboxMail.claimed_until.is_(None)) | (OutboxMail.claimed_until < now),
            )
            .order_by(OutboxMail.next_attempt_at)
            .limit(self._batch)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing
        )
        with self.db.session() as session:
            session.execute(
                update(OutboxMail)
                .where(
                    OutboxMail.id.in_(due.scalar_subquery()),
                    # Checked again: a row another sender claimed meanwhile stays its own.
                    OutboxMail.status == PENDING,
                    (OutboxMail.claimed_until.is_(None)) | (OutboxMail.claimed_until < now),
                )
                .values(
                    claim=token,
                    claimed_until=now + timedelta(seconds=self._lease),
                    attempts=OutboxMail.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
        with self.db.session() as session:
            rows = session.scalars(
                select(OutboxMail).where(OutboxMail.claim == token).order_by(OutboxMail.created_at)
            ).all()
            return [Claimed(row.id, token, row.attempts, _message(row)) for row in rows]

    def _attempt(self, item: Claimed) -> None:
        message = item.message
        try:
            self.transport.deliver(message)
        except PermanentMailError as error:
            self._give_up(item, f"refused: {error}")
            return
        except Exception as error:  # any delivery error is retried, then reported
            reason = f"{type(error).__name__}: {error}"
            if item.attempts >= self._max_attempts:
                self._give_up(item, reason)
                return
            delay = min(self._retry_delay * 2 ** (item.attempts - 1), self._max_delay)
            log.warning(
                "%s mail to %s: attempt %d failed (%s); retrying in %.1f s",
                message.kind,
                message.to,
                item.attempts,
                reason,
                delay,
            )
            self._finish(
                item,
                next_attempt_at=self._now() + timedelta(seconds=delay),
                last_error=reason[:1000],
            )
            self._outcome(message, "retry")
            return
        if self._finish(item, status=SENT, sent_at=self._now()):
            log.info("%s mail sent to %s", message.kind, message.to)
        else:
            log.warning(
                "%s mail to %s sent after its claim ran out: another sender may send it again",
                message.kind,
                message.to,
            )
        self._outcome(message, "sent")

    def _finish(self, item: Claimed, **values: object) -> bool:
        """Record an attempt's outcome while the claim is held; False when it was lost."""
        with self.db.session() as session:
            result = session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == item.id, OutboxMail.claim == item.claim)
                .values(claim=None, claimed_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            return affected_rows(result) == 1

    def _release(self, item: Claimed) -> None:
        """Give a claimed row back untried (the sender is stopping)."""
        self._finish(item, attempts=item.attempts - 1)

    def _give_up(self, item: Claimed, reason: str) -> None:
        with unit_of_work():  # the row's status and the audit event commit together
            # A failed row's next_attempt_at says when it was given up.
            failed = self._finish(
                item, status=FAILED, last_error=reason[:1000], next_attempt_at=self._now()
            )
            if failed:
                self._report(item.message, reason, item.attempts)

    def _report(self, message: MailMessage, reason: str, attempts: int) -> None:
        log.error(
            "%s mail to %s NOT sent after %d attempt(s): %s (subject %r)",
            message.kind,
            message.to,
            attempts,
            reason,
            message.subject,
        )
        self._outcome(message, "failed")
        if self._on_failure is None:
            return
        try:
            self._on_failure(message, reason)
        except Exception:  # recording the failure must not stop the sender or the request
            log.exception("recording the failed %s mail to %s failed", message.kind, message.to)

    def _outcome(self, message: MailMessage, outcome: str) -> None:
        if self._on_outcome is None:
            return
        try:
            self._on_outcome(message, outcome)
        except Exception:  # counting must never stop the sender
            log.exception("counting a %s mail's outcome failed", message.kind)

    def _purge_sent(self) -> None:
        if self._clock() - self._last_purge < 3600:
            return
        self._last_purge = self._clock()
        with self.db.session() as session:
            session.execute(
                delete(OutboxMail).where(
                    OutboxMail.status == SENT, OutboxMail.sent_at < self._now() - KEEP_SENT
                )
            )

    def _next_due(self) -> float | None:
        """Seconds until the next pending row is due (0 when one is), None when none waits."""
        with self.db.session() as session:
            due = session.scalar(
                select(func.min(OutboxMail.next_attempt_at)).where(OutboxMail.status == PENDING)
            )
        if due is None:
            return None
        return max(0.0, (due - self._now()).total_seconds())

    # --- the background sender -------------------------------------------------------------

    def start(self) -> None:
        """Run a sender thread in this process (the serving processes, ``bridge mail worker``)."""
        with self._changed:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="bridge-outbox", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Deliver now rather than at the next poll (a message was just committed)."""
        with self._changed:
            self._woken = True
            self._changed.notify_all()

    def _run(self) -> None:
        while not self._stopping:
            wait = self._poll_interval
            try:
                self.deliver_due()
                due = self._next_due()
                if due is not None:
                    wait = min(wait, due)
            except Exception:  # a database outage: try again at the next poll
                log.exception("the mail outbox could not be read; trying again")
            with self._changed:
                self._changed.notify_all()  # for wait_idle
                if not self._woken and not self._stopping:
                    self._changed.wait(wait)
                self._woken = False

    def pending(self) -> int:
        """Messages waiting or being delivered, in every process."""
        with self.db.session() as session:
            count = session.scalar(
                select(func.count()).select_from(OutboxMail).where(OutboxMail.status == PENDING)
            )
        return int(count or 0)

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is pending (delivered or given up); False on timeout. Without a sender
        thread the calling thread delivers."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                self.deliver_due()
            if self.pending() == 0:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            due = self._next_due()
            with self._changed:
                if self.running:
                    self._woken = True
                    self._changed.notify_all()
                self._changed.wait(min(left, 0.05 if due is None else max(due, 0.01)))

    def close(self, timeout: float = 5.0) -> None:
        """Stop the sender thread after the message in hand; what waits stays in the outbox
        for the next sender (in this process after a restart, or another)."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    # --- what operators see ----------------------------------------------------------------

    def status(self, *, failures: int = 10) -> OutboxStatus:
        return read_status(self.db, failures=failures)
