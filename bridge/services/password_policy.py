"""Which passwords the bridge accepts (issue 14): NIST SP 800-63B §3.1.1.2 and ASVS 5.0 V6.2.

- At least ``min_single_factor`` characters (15) for an account that signs in with its
  password alone, ``min_second_factor`` (8) while a second factor is in force; never below 8.
- At most ``max_length`` characters (at least 64).
- No composition rules (no "one digit, one capital"), no strength meter.
- Not one of the common passwords shipped in ``bridge/data/common_passwords.txt`` (its header
  names the source); no network look-up.
- Passwords are Unicode-normalised (NFKC) before they are counted, compared and hashed, so
  "ﬁ" and "fi" are one password on every keyboard.

Each refusal is a ``WeakPassword`` with a plain-language reason, in the catalogue.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bridge.domain.errors import InvalidInput
from bridge.domain.wording import N_, Phrase

BLOCKLIST = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
FLOOR = 8
MAX_FLOOR = 64


class WeakPassword(InvalidInput):
    """A password the bridge does not accept; the message says why."""

    code = "weak-password"
    title = N_("The password is not accepted")


def normalise(password: str) -> str:
    """The form a password is counted, compared and hashed in (NFKC)."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords(path: Path = BLOCKLIST) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


@dataclass(frozen=True)
class PasswordPolicy:
    min_single_factor: int = 15
    min_second_factor: int = 8
    max_length: int = 1024
    blocklist: frozenset[str] = field(default_factory=common_passwords, repr=False)

    def __post_init__(self) -> None:
        if min(self.min_single_factor, self.min_second_factor) < FLOOR:
            raise ValueError(f"a minimum password length below {FLOOR} is not allowed")
        if self.max_length < max(MAX_FLOOR, self.min_single_factor, self.min_second_factor):
            raise ValueError(f"the maximum password length must be at least {MAX_FLOOR}")

    def minimum(self, *, second_factor: bool) -> int:
        return self.min_second_factor if second_factor else self.min_single_factor

    def check(self, password: str, *, second_factor: bool, username: str | None = None) -> str:
        """The normalised password, or ``WeakPassword`` saying why it is refused."""
        normal = normalise(password)
        length = len(normal)
        least = self.minimum(second_factor=second_factor)
        if length < least:
            if second_factor:
                raise WeakPassword(
                    Phrase("Use at least %(count)s characters for the password.", count=least)
                )
            raise WeakPassword(
                Phrase(
                    "Use at least %(count)s characters for the password: a few words you can "
                    "remember work well. "
                    "With two-factor authentication, %(short)s are enough.",
                    count=least,
                    short=self.min_second_factor,
                )
            )
        if length > self.max_length:
            raise WeakPassword(
                Phrase("Use at most %(count)s characters for the password.", count=self.max_length)
            )
        folded = normal.casefold()
        if folded in self.blocklist:
            raise WeakPassword(
                N_(
                    "This password is one of the most common ones, so it is guessed first. "
                    "Choose another."
                )
            )
        if username and folded == normalise(username).casefold():
            raise WeakPassword(N_("The password must not be your username."))
        return normal
