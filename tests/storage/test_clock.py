"""The clock services ask for the time: tests move it instead of sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bridge.domain.clock import FrozenClock, SystemClock, utc_datetime


def test_a_frozen_clock_stands_still_until_advanced() -> None:
    clock = FrozenClock(1000.0)
    assert clock() == clock() == 1000.0
    clock.advance(29.5)
    assert clock() == 1029.5


def test_a_frozen_clock_can_be_set() -> None:
    clock = FrozenClock()
    clock.set(42)
    assert clock() == 42.0


def test_the_system_clock_tells_the_wall_time() -> None:
    before = time.time()
    assert before <= SystemClock()() <= time.time()


def test_utc_datetime_turns_the_clock_into_an_aware_timestamp() -> None:
    assert utc_datetime(FrozenClock(0)) == datetime(1970, 1, 1, tzinfo=UTC)
