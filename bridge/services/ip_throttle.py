"""Per-IP throttling of login submissions (R8), beside the per-account lockout.

A login submission takes a slot of its address's window *before* it is judged and gives it
back when it did not fail. So at most ``ip_limit`` failed submissions are judged per window,
even when they all arrive at once, while successful logins (a busy office behind one address)
never use the window up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.storage.db.unit import when_abandoned
from bridge.storage.ephemeral.base import EphemeralStore, JsonObject, Put

#: The store key prefix of an address's per-IP throttle window.
THROTTLE = "throttle:ip:"


@dataclass
class Submission:
    """One login submission under the per-IP throttle (``admit``): whether it failed, the
    failure counters its right answers forgave, and the values it writes once judged (the
    login's state, a new browser session); ``settle`` writes those and deletes these in the
    same store call that gives its throttle slot back (issue 16: one round trip, not three)."""

    ip: str | None
    failed: bool = False
    forgiven: list[str] = field(default_factory=list)
    puts: list[Put] = field(default_factory=list)


class IpThrottle:
    """The window of failed submissions each address may have judged."""

    def __init__(self, store: EphemeralStore, *, ip_limit: int, ip_window: int) -> None:
        if ip_limit < 1 or ip_window < 1:
            raise ValueError("ip_limit and ip_window must be at least 1")
        self._store = store
        self.ip_limit = ip_limit
        self.ip_window = ip_window

    def admit(self, ip: str | None) -> int | None:
        """Take a slot for one submission from ``ip``: None when it may be judged, else the
        ``Retry-After`` seconds until the window ends (it is not judged, and holds no slot)."""
        slot = THROTTLE + (ip or "unknown")
        return self._refused(slot, self._store.incr(slot, self.ip_window))

    def admit_reading(self, ip: str | None, key: str) -> tuple[int | None, JsonObject | None]:
        """``admit``, and read ``key`` of the store in the same round trip (issue 16: the login
        a submission answers): the ``Retry-After`` or None, and the value of ``key``."""
        slot = THROTTLE + (ip or "unknown")
        number, value = self._store.incr_and_get(slot, self.ip_window, key)
        return self._refused(slot, number), value

    def _refused(self, slot: str, number: int) -> int | None:
        """None when the slot ``number`` of ``slot`` is within the limit; else the slot is given
        back and the ``Retry-After`` returned."""
        if number <= self.ip_limit:
            return None
        self._store.decr(slot)
        return max(1, self._store.ttl(slot) or self.ip_window)

    def give_back(self, ip: str | None) -> None:
        """The admitted submission did not fail: its slot is free again."""
        self._store.decr(THROTTLE + (ip or "unknown"))

    def settle(self, submission: Submission) -> None:
        """The admitted ``submission`` ended: its values are written, the failures it forgave
        deleted and, unless it failed, its slot is given back, in one store call. A failed one
        keeps its slot, unless a store outage answers 503: then the request did not happen."""
        slot = THROTTLE + (submission.ip or "unknown")
        puts, forgiven = submission.puts, submission.forgiven
        submission.puts, submission.forgiven = [], []
        if submission.failed:
            when_abandoned(lambda: self._store.decr(slot))
            if puts or forgiven:
                self._store.write_batch(put=puts, delete=forgiven)
        elif puts or forgiven:
            self._store.write_batch(put=puts, delete=forgiven, decr=slot)
        else:
            self._store.decr(slot)
