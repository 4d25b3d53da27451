"""Authelia's file user database (``users_database.yml``) and its TOTP export.

``users_database.yml``::

    users:
      john:
        displayname: John Doe
        password: "$argon2id$v=19$m=65536,t=3,p=4$..."   # or $scrypt$, $pbkdf2-sha512$, $6$
        email: john@example.com
        groups: [admins, dev]
        disabled: false

The TOTP export is what ``authelia storage user totp export uri`` prints (one
``otpauth://totp/<issuer>:<username>?secret=...`` per line) or the CSV of
``authelia storage user totp export csv`` (``issuer,username,algorithm,digits,period,secret``).
Groups become memberships through the mapping file's ``groups`` section.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

from bridge.services.foreign_passwords import from_crypt_string
from bridge.services.imports.files import flag, read_text, read_yaml, text_field
from bridge.services.imports.mapping import Mapping, read_mapping
from bridge.services.imports.otpauth import ALGORITHMS, decode_base32, parse_otpauth
from bridge.services.imports.records import (
    ImportedTotp,
    ImportedUser,
    ImportFailed,
    Problem,
    Source,
)

CSV_COLUMNS = ("issuer", "username", "algorithm", "digits", "period", "secret")


def read_authelia(
    users_file: Path, totp_file: Path | None = None, mapping_file: Path | None = None
) -> Source:
    content = read_yaml(users_file)
    if not isinstance(content, dict) or not isinstance(content.get("users"), dict):
        raise ImportFailed(f"{users_file}: not an Authelia user database (no 'users' mapping)")
    mapping = read_mapping(mapping_file) if mapping_file is not None else Mapping()
    files = [str(users_file)]
    source = Source("authelia", (), organisations=list(mapping.organisations))
    authenticators: dict[str, tuple[str, ImportedTotp]] = {}
    if totp_file is not None:
        files.append(str(totp_file))
        authenticators = _read_totp(totp_file, source)
    for username, raw in content["users"].items():
        position = f"{users_file.name}: users.{username}"
        try:
            user = _user(str(username), raw, position, mapping)
        except (ValueError, TypeError) as error:  # UnsupportedHash is a ValueError
            source.problems.append(Problem(position, str(error)))
            authenticators.pop(str(username).casefold(), None)
            continue
        found = authenticators.pop(user.username.casefold(), None)
        if found is not None:
            user = replace(user, totp=found[1])
        source.users.append(user)
    for where, _ in authenticators.values():
        source.problems.append(Problem(where, "no user of this name in the user database"))
    source.files = tuple(files)
    return source


def _user(username: str, raw: Any, position: str, mapping: Mapping) -> ImportedUser:
    if not isinstance(raw, dict):
        raise ValueError("a user must be a mapping")
    password = text_field(raw, "password")
    groups = raw.get("groups") or []
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        raise ValueError("'groups' must be a list of names")
    return ImportedUser(
        position=position,
        username=username,
        email=text_field(raw, "email"),
        # Authelia's file backend has no verification state; its e-mails are the operator's.
        email_verified=text_field(raw, "email") is not None,
        name=text_field(raw, "displayname"),
        disabled=flag(raw, "disabled"),
        password=from_crypt_string(password) if password is not None else None,
        memberships=mapping.memberships(groups=groups),
    )


def _read_totp(path: Path, source: Source) -> dict[str, tuple[str, ImportedTotp]]:
    """Authenticators by case-folded username, with where each was read."""
    text = read_text(path)
    lines = [line for line in text.splitlines() if line.strip()]
    found: dict[str, tuple[str, ImportedTotp]] = {}
    if lines and lines[0].lstrip().startswith("otpauth://"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}: line {number}"
            try:
                account, totp = parse_otpauth(line)
                if account is None:
                    raise ValueError("the otpauth URI names no account")
            except ValueError as error:
                source.problems.append(Problem(where, str(error)))
                continue
            found[account.casefold()] = (where, totp)
        return found
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or tuple(reader.fieldnames) != CSV_COLUMNS:
        raise ImportFailed(
            f"{path}: line 1: expected otpauth:// URIs or the CSV header {','.join(CSV_COLUMNS)}"
        )
    for row in reader:
        where = f"{path.name}: line {reader.line_num}"
        try:
            algorithm = ALGORITHMS.get((row["algorithm"] or "").upper())
            if algorithm is None:
                raise ValueError(f"algorithm {row['algorithm']!r} is not SHA1, SHA256 or SHA512")
            totp = ImportedTotp(
                secret=decode_base32(row["secret"] or ""),
                algorithm=algorithm,
                digits=int(row["digits"] or ""),
                period=int(row["period"] or ""),
            )
        except (ValueError, TypeError) as error:
            source.problems.append(Problem(where, str(error)))
            continue
        found[(row["username"] or "").casefold()] = (where, totp)
    return found
