"""Password hashes brought from another identity provider, verified as they are.

An imported user's ``users.password_hash`` holds ``imported:v1:<scheme>:<encoded>`` (and
``users.password_imported_at`` says when it came) until their first successful login, which
replaces it with the bridge's own argon2id hash (``UserService.check_password``). The schemes
are an explicit allow-list; each is verified by a well-kept library, in constant time:

- ``keycloak-pbkdf2-sha1``, ``keycloak-pbkdf2-sha256``, ``keycloak-pbkdf2-sha512`` (Keycloak's
  ``pbkdf2``, ``pbkdf2-sha256``, ``pbkdf2-sha512``): ``<iterations>$<salt>$<value>``, standard
  base64; ``hashlib.pbkdf2_hmac``, the key as long as the stored value.
- ``argon2`` (Keycloak's ``argon2``, Authelia's argon2id): the PHC string
  ``$argon2id$v=19$m=<KiB>,t=<n>,p=<n>$<salt>$<hash>``; argon2-cffi.
- ``pbkdf2`` (Authelia): ``$pbkdf2-<sha1|sha224|sha256|sha384|sha512>$<iterations>$<salt>$<key>``
  in passlib's adapted base64 (``$pbkdf2$`` is SHA-1); ``hashlib.pbkdf2_hmac``.
- ``scrypt`` (Authelia): ``$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>``; ``hashlib.scrypt``.
- ``sha2crypt`` (Authelia): ``$6$rounds=<n>$<salt>$<hash>`` (SHA-512) or ``$5$...`` (SHA-256);
  libpass (the maintained passlib), ``passlib.hash.sha512_crypt`` / ``sha256_crypt``.

Digests are compared with ``hmac.compare_digest`` (the libraries compare in constant time too).
Parameters are bounded (the ``MAX_*`` constants) so a hostile file cannot make one login burn a
minute of CPU or a gigabyte of memory; a hash outside them is refused at import, never verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PREFIX = "imported:v1:"

#: Upper bounds on the work one verification may take.
MAX_PBKDF2_ITERATIONS = 5_000_000
MAX_ARGON2_MEMORY_KIB = 1_048_576  # 1 GiB
MAX_ARGON2_TIME = 64
MAX_ARGON2_PARALLELISM = 64
MAX_SCRYPT_MEMORY = 1 << 30  # 128 * r * N bytes
MAX_SCRYPT_PARALLELISM = 16
MAX_SHA2CRYPT_ROUNDS = 5_000_000
MAX_KEY_BYTES = 1024

PBKDF2_DIGESTS = {
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}
KEYCLOAK_PBKDF2 = {
    "pbkdf2": "keycloak-pbkdf2-sha1",
    "pbkdf2-sha256": "keycloak-pbkdf2-sha256",
    "pbkdf2-sha512": "keycloak-pbkdf2-sha512",
}
SCHEMES = (
    "keycloak-pbkdf2-sha1",
    "keycloak-pbkdf2-sha256",
    "keycloak-pbkdf2-sha512",
    "argon2",
    "pbkdf2",
    "scrypt",
    "sha2crypt",
)


class UnsupportedHash(ValueError):  # noqa: N818 (reads as a state)
    """A hash whose scheme is not on the allow-list, or that is malformed or out of bounds."""


@dataclass(frozen=True)
class ForeignHash:
    """A checked foreign hash: ``stored`` is what ``users.password_hash`` holds."""

    scheme: str
    encoded: str

    @property
    def stored(self) -> str:
        return f"{PREFIX}{self.scheme}:{self.encoded}"


def is_imported(password_hash: str | None) -> bool:
    return password_hash is not None and password_hash.startswith(PREFIX)


def _b64(text: str, *, what: str, altchars: bytes | None = None) -> bytes:
    """Standard (or ``altchars``) base64, with or without padding, strictly."""
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UnsupportedHash(f"the {what} is not valid base64") from error


def _ab64(text: str, *, what: str) -> bytes:
    """The "adapted" base64 of passlib and go-crypt: '.' for '+', no padding."""
    if "+" in text:
        raise UnsupportedHash(f"the {what} is not valid adapted base64")
    return _b64(text, what=what, altchars=b"./")


def _positive(text: str, *, what: str, maximum: int) -> int:
    if not re.fullmatch(r"[0-9]{1,10}", text):
        raise UnsupportedHash(f"{what} {text!r} is not a number")
    value = int(text)
    if not 1 <= value <= maximum:
        raise UnsupportedHash(f"{what} {value} is outside 1..{maximum}")
    return value


def _key(raw: bytes, *, what: str) -> bytes:
    if not 1 <= len(raw) <= MAX_KEY_BYTES:
        raise UnsupportedHash(f"the {what} has {len(raw)} bytes")
    return raw


# --- building the stored form (import) ----------------------------------------------------


def keycloak_pbkdf2(algorithm: str, iterations: int, salt: bytes, value: bytes) -> ForeignHash:
    """Keycloak's ``pbkdf2``, ``pbkdf2-sha256`` or ``pbkdf2-sha512`` credential."""
    scheme = KEYCLOAK_PBKDF2.get(algorithm)
    if scheme is None:
        raise UnsupportedHash(f"Keycloak password algorithm {algorithm!r} is not supported")
    if not 1 <= iterations <= MAX_PBKDF2_ITERATIONS:
        raise UnsupportedHash(f"hashIterations {iterations} is outside 1..{MAX_PBKDF2_ITERATIONS}")
    _key(value, what="hash value")
    encoded = "$".join(
        (str(iterations), base64.b64encode(salt).decode(), base64.b64encode(value).decode())
    )
    return ForeignHash(scheme, encoded)


def keycloak_argon2(
    *,
    variant: str,
    version: str,
    memory: int,
    iterations: int,
    parallelism: int,
    salt: bytes,
    value: bytes,
) -> ForeignHash:
    """Keycloak's ``argon2`` credential, as the PHC string argon2-cffi verifies."""
    if variant not in ("id", "i", "d"):
        raise UnsupportedHash(f"argon2 type {variant!r} is not id, i or d")
    versions = {"1.3": 19, "1.0": 16}
    if version not in versions:
        raise UnsupportedHash(f"argon2 version {version!r} is not 1.3 or 1.0")
    if len(salt) < 8:
        raise UnsupportedHash("the argon2 salt is shorter than 8 bytes")
    unpadded = base64.b64encode(salt).decode().rstrip("=")
    digest = base64.b64encode(value).decode().rstrip("=")
    phc = (
        f"$argon2{variant}$v={versions[version]}$m={memory},t={iterations},p={parallelism}"
        f"${unpadded}${digest}"
    )
    return parse_foreign("argon2", phc)


def parse_foreign(scheme: str, encoded: str) -> ForeignHash:
    """Check ``encoded`` against the scheme's format and bounds (raises ``UnsupportedHash``)."""
    parser = _PARSERS.get(scheme)
    if parser is None:
        raise UnsupportedHash(f"password hash scheme {scheme!r} is not on the allow-list")
    parser(encoded)
    return ForeignHash(scheme, encoded)


def from_crypt_string(text: str) -> ForeignHash:
    """An Authelia ``password`` value (a modular crypt / PHC string) on the allow-list."""
    if text.startswith("$argon2"):
        return parse_foreign("argon2", text)
    if text.startswith("$pbkdf2"):
        return parse_foreign("pbkdf2", text)
    if text.startswith("$scrypt$"):
        return parse_foreign("scrypt", text)
    if text.startswith(("$5$", "$6$")):
        return parse_foreign("sha2crypt", text)
    identifier = text.split("$")[1] if text.startswith("$") and text.count("$") > 1 else "?"
    raise UnsupportedHash(f"password hash scheme {identifier!r} is not on the allow-list")


def parse_stored(stored: str) -> ForeignHash:
    if not stored.startswith(PREFIX):
        raise UnsupportedHash("not an imported password hash")
    scheme, colon, encoded = stored[len(PREFIX) :].partition(":")
    if not colon:
        raise UnsupportedHash("an imported password hash needs <scheme>:<hash>")
    return parse_foreign(scheme, encoded)


# --- each scheme: check the form, and verify ----------------------------------------------


def _keycloak_pbkdf2_parts(encoded: str) -> tuple[int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 3:
        raise UnsupportedHash("a Keycloak PBKDF2 hash reads <iterations>$<salt>$<value>")
    iterations = _positive(parts[0], what="hashIterations", maximum=MAX_PBKDF2_ITERATIONS)
    salt = _b64(parts[1], what="salt")
    value = _key(_b64(parts[2], what="hash value"), what="hash value")
    return iterations, salt, value


def _argon2_parts(encoded: str) -> argon2.Parameters:
    try:
        parameters = argon2.extract_parameters(encoded)
    except InvalidHashError as error:
        raise UnsupportedHash("not a valid argon2 PHC string") from error
    if parameters.memory_cost > MAX_ARGON2_MEMORY_KIB:
        raise UnsupportedHash(f"argon2 memory {parameters.memory_cost} KiB is too large")
    if parameters.time_cost > MAX_ARGON2_TIME or parameters.parallelism > MAX_ARGON2_PARALLELISM:
        raise UnsupportedHash("argon2 time or parallelism is too large")
    return parameters


_PBKDF2_FORM = re.compile(
    r"\$pbkdf2(?:-(sha1|sha224|sha256|sha384|sha512))?\$([^$]+)\$([^$]*)\$([^$]+)"
)


def _pbkdf2_parts(encoded: str) -> tuple[str, int, bytes, bytes]:
    match = _PBKDF2_FORM.fullmatch(encoded)
    if match is None:
        raise UnsupportedHash("a PBKDF2 hash reads $pbkdf2-<digest>$<iterations>$<salt>$<key>")
    digest = match.group(1) or "sha1"
    iterations = _positive(match.group(2), what="iterations", maximum=MAX_PBKDF2_ITERATIONS)
    salt = _ab64(match.group(3), what="salt")
    key = _key(_ab64(match.group(4), what="key"), what="key")
    return PBKDF2_DIGESTS[digest], iterations, salt, key


_SCRYPT_FORM = re.compile(r"\$scrypt\$([^$]*)\$([^$]*)\$([^$]+)")


def _scrypt_parts(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    match = _SCRYPT_FORM.fullmatch(encoded)
    if match is None:
        raise UnsupportedHash("a scrypt hash reads $scrypt$ln=<n>,r=<r>,p=<p>$<salt>$<key>")
    options = {"ln": "16", "r": "8", "p": "1"}  # Authelia's (go-crypt's) defaults
    for option in filter(None, match.group(1).split(",")):
        name, equals, value = option.partition("=")
        if not equals or name not in options:
            raise UnsupportedHash(f"scrypt option {option!r} is unknown")
        options[name] = value
    log_n = _positive(options["ln"], what="scrypt ln", maximum=30)
    r = _positive(options["r"], what="scrypt r", maximum=64)
    p = _positive(options["p"], what="scrypt p", maximum=MAX_SCRYPT_PARALLELISM)
    if 128 * r * (1 << log_n) > MAX_SCRYPT_MEMORY:
        raise UnsupportedHash("scrypt parameters need more than 1 GiB of memory")
    salt = _b64(match.group(2), what="salt")
    key = _key(_b64(match.group(3), what="key"), what="key")
    return log_n, r, p, salt, key


_SHA2CRYPT_FORM = re.compile(
    r"\$([56])\$(?:rounds=([0-9]{1,10})\$)?[./0-9A-Za-z]{0,16}\$[./0-9A-Za-z]+"
)


def _sha2crypt_check(encoded: str) -> None:
    match = _SHA2CRYPT_FORM.fullmatch(encoded)
    if match is None:
        raise UnsupportedHash("a SHA-crypt hash reads $5$ or $6$[rounds=<n>$]<salt>$<hash>")
    if match.group(2) is not None:
        _positive(match.group(2), what="rounds", maximum=MAX_SHA2CRYPT_ROUNDS)
    handler = _sha2crypt(match.group(1))
    if not handler.identify(encoded):
        raise UnsupportedHash("not a valid SHA-crypt hash")
    try:
        handler.from_string(encoded)
    except ValueError as error:
        raise UnsupportedHash("not a valid SHA-crypt hash") from error


_PARSERS: dict[str, Callable[[str], object]] = {
    "keycloak-pbkdf2-sha1": _keycloak_pbkdf2_parts,
    "keycloak-pbkdf2-sha256": _keycloak_pbkdf2_parts,
    "keycloak-pbkdf2-sha512": _keycloak_pbkdf2_parts,
    "argon2": _argon2_parts,
    "pbkdf2": _pbkdf2_parts,
    "scrypt": _scrypt_parts,
    "sha2crypt": _sha2crypt_check,
}


def verify_foreign(stored: str, password: str) -> bool:
    """True when ``password`` matches the imported hash ``stored``; never raises for a bad one."""
    try:
        foreign = parse_stored(stored)
    except UnsupportedHash:
        return False
    secret = password.encode("utf-8")
    scheme, encoded = foreign.scheme, foreign.encoded
    if scheme.startswith("keycloak-pbkdf2-"):
        iterations, salt, value = _keycloak_pbkdf2_parts(encoded)
        digest = scheme.removeprefix("keycloak-pbkdf2-")
        derived = hashlib.pbkdf2_hmac(digest, secret, salt, iterations, dklen=len(value))
        return hmac.compare_digest(derived, value)
    if scheme == "pbkdf2":
        digest, iterations, salt, key = _pbkdf2_parts(encoded)
        derived = hashlib.pbkdf2_hmac(digest, secret, salt, iterations, dklen=len(key))
        return hmac.compare_digest(derived, key)
    if scheme == "scrypt":
        log_n, r, p, salt, key = _scrypt_parts(encoded)
        n = 1 << log_n
        derived = hashlib.scrypt(
            secret, salt=salt, n=n, r=r, p=p, dklen=len(key), maxmem=129 * r * (n + p) + (1 << 20)
        )
        return hmac.compare_digest(derived, key)
    if scheme == "argon2":
        try:
            return argon2.PasswordHasher().verify(encoded, secret)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if scheme == "sha2crypt":
        handler = _sha2crypt("6" if encoded.startswith("$6$") else "5")
        return bool(handler.verify(secret, encoded))
    return False  # pragma: no cover (parse_stored allows only the schemes above)


def _sha2crypt(variant: str) -> Any:
    """libpass's SHA-crypt handler for ``$5$`` or ``$6$``, imported on first use: only imported
    hashes need it, and a serving worker otherwise never loads libpass."""
    from passlib.hash import sha256_crypt, sha512_crypt

    return sha512_crypt if variant == "6" else sha256_crypt
