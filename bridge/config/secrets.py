"""The bridge's secrets: from the environment or from files, never from the YAML configuration.

``BRIDGE_SECRET_KEY`` (or ``BRIDGE_SECRET_KEY_FILE``) signs sessions and cookies;
``BRIDGE_ENCRYPTION_KEYS`` (or ``BRIDGE_ENCRYPTION_KEYS_FILE``) encrypts TOTP secrets at rest as
``kid:base64url-32-bytes[,kid2:...]``, the first being the key new data is encrypted with.
Only with the embedded SQLite database (a single-host install) are missing secrets generated,
once, into ``<data_dir>/secrets/``; with any other database a missing secret stops the start.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_bytes, token_hex, token_urlsafe

from bridge.config.errors import SettingsError
from bridge.config.settings import Settings
from bridge.domain.validators import KEY_ID

__all__ = ["MIN_SECRET_KEY_BYTES", "Secrets", "check_keyring_shape", "load_secrets"]

MIN_SECRET_KEY_BYTES = 32
MIN_METRICS_TOKEN_BYTES = 24
SECRETS_DIR = "secrets"


@dataclass(frozen=True)
class Secrets:
    secret_key: bytes = field(repr=False)
    encryption_keys: str = field(repr=False)  # for bridge.storage.crypto.parse_keyring
    # The SMTP password (``BRIDGE_MAIL_PASSWORD`` or ``BRIDGE_MAIL_PASSWORD_FILE``), if any.
    mail_password: str | None = field(default=None, repr=False)
    # Bearer token for /metrics (``BRIDGE_METRICS_TOKEN`` or ``_FILE``); None: /metrics is off.
    metrics_token: str | None = field(default=None, repr=False)


def _secret_key_problem(value: bytes) -> str | None:
    if len(value) < MIN_SECRET_KEY_BYTES:
        return f"must be at least {MIN_SECRET_KEY_BYTES} bytes (got {len(value)})"
    return None


def _keyring_problem(value: bytes) -> str | None:
    try:
        return check_keyring_shape(value.decode("ascii"))
    except UnicodeDecodeError:
        return "must be ASCII: kid:base64url-32-bytes[,kid2:...]"


def check_keyring_shape(spec: str) -> str | None:
    """Why ``spec`` is not ``kid:base64url-32-bytes[,kid2:...]``, or None when it is."""
    kids: set[str] = set()
    for position, entry in enumerate(spec.split(","), start=1):
        kid, colon, material = (part.strip() for part in entry.partition(":"))
        if not colon or not KEY_ID.fullmatch(kid):
            return (
                f"entry {position}: expected kid:base64url-32-bytes (kid: 1-32 of A-Z a-z 0-9 _ -)"
            )
        if kid in kids:
            return f"entry {position}: key id {kid!r} occurs twice"
        kids.add(kid)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", material):
            return f"entry {position} ({kid}): the key is not unpadded base64url"
        try:
            key = base64.urlsafe_b64decode(material + "=" * (-len(material) % 4))
        except (binascii.Error, ValueError):
            return f"entry {position} ({kid}): the key is not base64url"
        if len(key) != 32:
            return f"entry {position} ({kid}): the key must decode to 32 bytes (got {len(key)})"
    return None


def _new_secret_key() -> str:
    return token_urlsafe(48)


def _new_keyring() -> str:
    material = base64.urlsafe_b64encode(token_bytes(32)).rstrip(b"=").decode("ascii")
    return f"k{token_hex(4)}:{material}"


# (variable, file name under <data_dir>/secrets, generator, shape check)
_SECRETS: tuple[tuple[str, str, Callable[[], str], Callable[[bytes], str | None]], ...] = (
    ("BRIDGE_SECRET_KEY", "secret_key", _new_secret_key, _secret_key_problem),
    ("BRIDGE_ENCRYPTION_KEYS", "encryption_keys", _new_keyring, _keyring_problem),
)


def load_secrets(settings: Settings, environ: Mapping[str, str]) -> Secrets:
    """Read both secrets; generate missing ones only for the embedded database."""
    values: dict[str, bytes] = {}
    problems: list[str] = []
    missing: list[str] = []
    for variable, filename, generate, check in _SECRETS:
        try:
            value = _from_environment(variable, environ)
            if value is None:
                if not settings.database_is_embedded:
                    missing.append(variable)
                    continue
                value = _generated(settings.data_dir / SECRETS_DIR, filename, generate)
                variable = str(settings.data_dir / SECRETS_DIR / filename)
        except SettingsError as exc:
            problems += exc.problems
            continue
        problem = check(value)
        if problem is not None:
            problems.append(f"{variable}: {problem}")
        values[filename] = value
    if missing:
        problems.append(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: with "
            "database_url set, the bridge does not generate "
            "secrets. Set BRIDGE_SECRET_KEY or BRIDGE_SECRET_KEY_FILE (at least "
            f"{MIN_SECRET_KEY_BYTES} random bytes) and BRIDGE_ENCRYPTION_KEYS or "
            "BRIDGE_ENCRYPTION_KEYS_FILE (kid:base64url-32-bytes[,kid2:...], first is primary)"
        )
    mail_password: bytes | None = None
    try:
        mail_password = _from_environment("BRIDGE_MAIL_PASSWORD", environ)
    except SettingsError as exc:
        problems += exc.problems
    metrics_token: bytes | None = None
    try:
        metrics_token = _from_environment("BRIDGE_METRICS_TOKEN", environ)
    except SettingsError as exc:
        problems += exc.problems
    if metrics_token is not None and len(metrics_token) < MIN_METRICS_TOKEN_BYTES:
        problems.append(
            f"BRIDGE_METRICS_TOKEN: must be at least {MIN_METRICS_TOKEN_BYTES} bytes "
            f"(got {len(metrics_token)})"
        )
    if problems:
        raise SettingsError(problems)
    return Secrets(
        secret_key=values["secret_key"],
        encryption_keys=values["encryption_keys"].decode("ascii"),
        mail_password=None if mail_password is None else mail_password.decode("utf-8"),
        metrics_token=None if metrics_token is None else metrics_token.decode("utf-8"),
    )


def _from_environment(variable: str, environ: Mapping[str, str]) -> bytes | None:
    direct, path = environ.get(variable), environ.get(f"{variable}_FILE")
    if direct is not None and path is not None:
        raise SettingsError(f"{variable}: set either {variable} or {variable}_FILE, not both")
    if direct is not None:
        return direct.strip().encode("utf-8")
    if path is not None:
        try:
            return Path(path).read_bytes().strip()
        except OSError as exc:
            raise SettingsError(f"{variable}_FILE: cannot read {path}: {exc.strerror}") from None
    return None


def _generated(directory: Path, filename: str, generate: Callable[[], str]) -> bytes:
    """The secret in ``directory/filename``, created (0600, folder 0700) on the first start."""
    _private_directory(directory)
    target = directory / filename
    if not target.exists():
        _create_once(target, generate().encode("ascii"))
    mode = stat.S_IMODE(target.stat().st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"{target}: readable by others (mode {mode:04o}); run chmod 600 {target}"
        )
    return target.read_bytes().strip()


def _private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"{directory}: cannot create the secrets folder: {exc.strerror}"
        ) from None
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        raise SettingsError(
            f"{directory}: open to others (mode {mode:04o}); run chmod 700 {directory}"
        )


def _create_once(target: Path, content: bytes) -> None:
    """Write ``content`` to a private temporary file and link it into place: a concurrent
    start either wins or reads the winner's complete file, never a half-written one."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content + b"\n")
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its file
            os.link(temporary, target)
    finally:
        os.unlink(temporary)
