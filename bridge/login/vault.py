"""Recovery codes issued at enrolment wait sealed in the pending login, never in plaintext.

The ephemeral store (Redis in production) keeps the login for up to 30 minutes; the codes sit
there sealed with the keyring's primary key (AES-256-GCM), bound to the browser that started
the login, until the user confirms they saved them.
"""

from __future__ import annotations

import json

from bridge.storage.crypto import DecryptionError, Keyring

PURPOSE = b"bridge/login/recovery-codes:"


class RecoveryCodeVault:
    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def seal(self, codes: list[str], browser: str) -> str:
        return self._keyring.seal(json.dumps(codes).encode(), PURPOSE + browser.encode())

    def open(self, sealed: str, browser: str) -> list[str] | None:
        """The codes, or None when they cannot be opened (a key dropped from the keyring)."""
        try:
            codes = json.loads(self._keyring.open(sealed, PURPOSE + browser.encode()))
        except (DecryptionError, ValueError):
            return None
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            return None
        return codes
