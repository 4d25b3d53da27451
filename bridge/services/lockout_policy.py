"""What an organisation chose for lockout (R8, R14), checked when it is built."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bridge.storage.db.models import Organisation

Kind = Literal["password", "code"]
Action = Literal["lock", "restart", "timed"]
KINDS: tuple[Kind, ...] = ("password", "code")
#: NIST SP 800-63B 5.2.2: at most 100 consecutive failed attempts on one account.
MAX_THRESHOLD = 100


@dataclass(frozen=True)
class LockoutPolicy:
    """What the caller's organisation chose; the defaults are seed 001's."""

    password_failures: int = 5
    code_failures: int = 3
    action: Action = "lock"
    lock_minutes: int = 15  # for action "timed"
    window: int = 86_400  # seconds a counter lives from its first failure

    def __post_init__(self) -> None:
        for name in ("password_failures", "code_failures"):
            value = getattr(self, name)
            if not 1 <= value <= MAX_THRESHOLD:
                raise ValueError(f"{name} must be between 1 and {MAX_THRESHOLD}, got {value}")
        if self.action not in ("lock", "restart", "timed"):
            raise ValueError(f"action must be lock, restart or timed, got {self.action!r}")
        if not 1 <= self.lock_minutes <= 10_080:
            raise ValueError(f"lock_minutes must be between 1 and 10080, got {self.lock_minutes}")
        if not 60 <= self.window <= 2_592_000:
            raise ValueError(f"window must be between 60 and 2592000 s, got {self.window}")

    @classmethod
    def strictest(cls, organisations: Iterable[Organisation]) -> LockoutPolicy:
        """The policy for a user of these organisations (R14: the strictest one wins): the
        lowest thresholds, and a lock if any organisation locks. None: the defaults."""
        orgs = list(organisations)
        if not orgs:
            return cls()
        locks = any(org.lockout_action != "restart" for org in orgs)
        return cls(
            password_failures=min(org.lockout_password_failures for org in orgs),
            code_failures=min(org.lockout_code_failures for org in orgs),
            action="lock" if locks else "restart",
        )

    def threshold(self, kind: Kind) -> int:
        return self.password_failures if kind == "password" else self.code_failures
