"""Time as a dependency: services ask a ``Clock`` instead of calling ``time.time()``.

Tests hand services a ``FrozenClock`` and move it forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def __call__(self) -> float:
        """Seconds since the Unix epoch."""


class SystemClock:
    """The wall clock."""

    def __call__(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def set(self, now: float) -> None:
        with self._lock:
            self._now = float(now)

    def sleep(self, seconds: float) -> None:
        """What a wait does on this clock: it moves on, at once."""
        self.advance(seconds)


def pause(clock: Clock, seconds: float) -> None:
    """Wait ``seconds`` on ``clock``: a ``FrozenClock`` moves on, another clock waits for real."""
    getattr(clock, "sleep", time.sleep)(seconds)


def utc_datetime(clock: Clock) -> datetime:
    """The clock's current time as an aware UTC datetime, for timestamp columns."""
    return datetime.fromtimestamp(clock(), tz=UTC)


def as_utc(value: datetime) -> datetime:
    """Make a datetime read back from the database aware (SQLite drops the zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
