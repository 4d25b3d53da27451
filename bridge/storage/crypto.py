"""Secrets at rest: AES-256-GCM with a keyring, so keys can rotate without re-encrypting at once.

A sealed value reads ``v1.<kid>.<base64url(nonce || ciphertext)>``. The first key of the ring
seals; any key of the ring opens what it sealed. The associated data binds a ciphertext to its
row (``b"totp:" + credential_id``): copied into another row, it no longer opens.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bridge.domain.validators import KEY_ID

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


class KeyringError(ValueError):
    """A keyring specification or key that cannot be used."""


class DecryptionError(Exception):
    """A sealed value that cannot be opened: unknown key, wrong row, or tampered."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Keyring:
    """AES-256-GCM keys by id; the first one is the primary that seals."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyringError("the keyring needs at least one key")
        self._keys: dict[str, AESGCM] = {}
        for kid, key in keys:
            if not KEY_ID.fullmatch(kid):
                raise KeyringError(f"key id {kid!r} must be 1-32 characters of [A-Za-z0-9_-]")
            if kid in self._keys:
                raise KeyringError(f"key id {kid!r} appears twice in the keyring")
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {kid!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}")
            self._keys[kid] = AESGCM(key)
        self.primary_kid: str = keys[0][0]

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, plaintext: bytes, aad: bytes) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        kid = self.primary_kid
        ciphertext = self._keys[kid].encrypt(nonce, plaintext, self._associated(kid, aad))
        return f"{VERSION}.{kid}.{_b64encode(nonce + ciphertext)}"

    def open(self, token: str, aad: bytes) -> bytes:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise DecryptionError(f"not a {VERSION} sealed value")
        _, kid, body = parts
        cipher = self._keys.get(kid)
        if cipher is None:
            raise DecryptionError(f"sealed with key {kid!r}, which is not in the keyring")
        try:
            raw = _b64decode(body)
        except (ValueError, binascii.Error) as error:
            raise DecryptionError("the sealed value is not valid base64url") from error
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("the sealed value is too short")
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._associated(kid, aad))
        except InvalidTag as error:
            raise DecryptionError(
                "the sealed value was tampered with or belongs to another record"
            ) from error

    def needs_reseal(self, token: str) -> bool:
        """True when ``token`` was sealed by a key other than the primary (after a rotation)."""
        return not token.startswith(f"{VERSION}.{self.primary_kid}.")

    @staticmethod
    def _associated(kid: str, aad: bytes) -> bytes:
        return f"{VERSION}.{kid}.".encode("ascii") + aad


def parse_keyring(spec: str) -> Keyring:
    """Parse ``"kid1:base64url,kid2:base64url"`` (primary first) into a ``Keyring``."""
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(spec.split(","), start=1):
        entry = entry.strip()
        if not entry:
            raise KeyringError(f"keyring entry {position} is empty")
        kid, colon, encoded = entry.partition(":")
        if not colon:
            raise KeyringError(f"keyring entry {position} must read <kid>:<base64url key>")
        try:
            key = _b64decode(encoded.strip())
        except (ValueError, binascii.Error) as error:
            raise KeyringError(f"key {kid!r} is not valid base64url") from error
        keys.append((kid.strip(), key))
    return Keyring(keys)


def generate_key_spec(kid: str | None = None) -> str:
    """A fresh one-key keyring specification, for a first start."""
    kid = kid or f"k{secrets.token_hex(4)}"
    return f"{kid}:{_b64encode(secrets.token_bytes(KEY_BYTES))}"
