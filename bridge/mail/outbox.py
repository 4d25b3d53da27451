"""The outbox: a bounded queue and one background thread that delivers with retries.

``send`` only appends to the queue and returns at once, so no login waits for a mail server.
A failed attempt is retried after ``retry_delay`` seconds, doubling up to ``max_delay``, at most
``max_attempts`` times; a message that is given up (refused for good, out of attempts, the queue
full, or still queued at shutdown) is logged as an error and passed to ``on_failure``, so it is
recorded rather than lost silently.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.mail.message import MailMessage
from bridge.mail.smtp import PermanentMailError, Transport

log = logging.getLogger(__name__)

FailureHandler = Callable[[MailMessage, str], None]


@dataclass(order=True)
class _Item:
    due: float
    seq: int
    message: MailMessage = field(compare=False)
    attempts: int = field(default=0, compare=False)


class Outbox:
    def __init__(
        self,
        transport: Transport,
        *,
        queue_size: int = 1000,
        max_attempts: int = 6,
        retry_delay: float = 5.0,
        max_delay: float = 300.0,
        on_failure: FailureHandler | None = None,
    ) -> None:
        if queue_size < 1 or max_attempts < 1 or retry_delay <= 0:
            raise ValueError("queue_size and max_attempts must be at least 1, retry_delay > 0")
        self.transport = transport
        self._queue_size = queue_size
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._max_delay = max_delay
        self._on_failure = on_failure
        self._heap: list[_Item] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._stopping = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="bridge-outbox", daemon=True)
        self._thread.start()

    def send(self, message: MailMessage) -> bool:
        """Queue ``message``; False (logged and reported) when the queue is full or closed."""
        with self._changed:
            if self._stopping:
                reason = "the outbox is closed"
            elif len(self._heap) + self._in_flight >= self._queue_size:
                reason = f"the outbox is full ({self._queue_size} messages)"
            else:
                heapq.heappush(self._heap, _Item(time.monotonic(), next(self._seq), message))
                self._changed.notify_all()
                return True
        self._give_up(message, reason, attempts=0)
        return False

    def pending(self) -> int:
        """Messages queued or being delivered."""
        with self._changed:
            return len(self._heap) + self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued message is delivered or given up; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._heap and not self._in_flight, timeout=timeout
            )

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread after the message in hand; report what is still queued as not sent."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._thread.join(timeout)
        with self._changed:
            left, self._heap = self._heap, []
            self._changed.notify_all()
        for item in left:
            self._give_up(item.message, "the bridge stopped before it was sent", item.attempts)

    def _next(self) -> _Item | None:
        with self._changed:
            while not self._stopping:
                now = time.monotonic()
                if self._heap and self._heap[0].due <= now:
                    self._in_flight += 1
                    return heapq.heappop(self._heap)
                wait = self._heap[0].due - now if self._heap else None
                self._changed.wait(wait)
            return None

    def _run(self) -> None:
        while (item := self._next()) is not None:
            try:
                self._attempt(item)
            finally:
                with self._changed:
                    self._in_flight -= 1
                    self._changed.notify_all()

    def _attempt(self, item: _Item) -> None:
        item.attempts += 1
        message = item.message
        try:
            self.transport.deliver(message)
        except PermanentMailError as error:
            self._give_up(message, f"refused: {error}", item.attempts)
            return
        except Exception as error:  # any delivery error is retried, then reported
            with self._changed:
                stopping = self._stopping
            if item.attempts >= self._max_attempts or stopping:
                self._give_up(message, f"{type(error).__name__}: {error}", item.attempts)
                return
            delay = min(self._retry_delay * 2 ** (item.attempts - 1), self._max_delay)
            log.warning(
                "%s mail to %s: attempt %d failed (%s: %s); retrying in %.1f s",
                message.kind,
                message.to,
                item.attempts,
                type(error).__name__,
                error,
                delay,
            )
            with self._changed:
                item.due = time.monotonic() + delay
                heapq.heappush(self._heap, item)
            return
        log.info("%s mail sent to %s", message.kind, message.to)

    def _give_up(self, message: MailMessage, reason: str, attempts: int) -> None:
        log.error(
            "%s mail to %s NOT sent after %d attempt(s): %s (subject %r)",
            message.kind,
            message.to,
            attempts,
            reason,
            message.subject,
        )
        if self._on_failure is None:
            return
        try:
            self._on_failure(message, reason)
        except Exception:  # the failure handler must not kill the sender thread
            log.exception("recording the failed %s mail to %s failed", message.kind, message.to)
