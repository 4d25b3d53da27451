"""Any other source: users and their authenticators as CSV or JSON Lines.

CSV has a header naming the columns; JSON Lines has one object per line. The fields:
``username`` (required), ``email``, ``email_verified`` (true/false), ``name``, ``disabled``,
``otpauth`` (an ``otpauth://totp/...`` URI, as authenticator apps export them), and
``password_hash`` (a hash on the allow-list: argon2, scrypt, pbkdf2, SHA-crypt). A user without a
password hash signs in with a password only once an operator set one (``bridge user
set-password``), or through single sign-on.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from bridge.services.foreign_passwords import from_crypt_string
from bridge.services.imports.files import read_text, text_field
from bridge.services.imports.otpauth import parse_otpauth
from bridge.services.imports.records import ImportedUser, ImportFailed, Problem, Source

FIELDS = ("username", "email", "email_verified", "name", "disabled", "otpauth", "password_hash")
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0", "")


def read_generic(path: Path) -> Source:
    text = read_text(path)
    source = Source("generic", (str(path),))
    first = next((line for line in text.splitlines() if line.strip()), "")
    if first.lstrip().startswith("{"):
        rows = _json_lines(path, text, source)
    else:
        rows = _csv_rows(path, text)
    for position, row in rows:
        try:
            source.users.append(_user(position, row))
        except (ValueError, TypeError) as error:  # UnsupportedHash is a ValueError
            source.problems.append(Problem(position, str(error)))
    return source


def _json_lines(path: Path, text: str, source: Source) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}: line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            source.problems.append(Problem(where, f"not JSON ({error.msg})"))
            continue
        if not isinstance(row, dict):
            source.problems.append(Problem(where, "not a JSON object"))
            continue
        rows.append((where, row))
    return rows


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "username" not in reader.fieldnames:
        raise ImportFailed(f"{path}: line 1: a CSV header with a 'username' column is required")
    unknown = [name for name in reader.fieldnames if name not in FIELDS]
    if unknown:
        raise ImportFailed(f"{path}: line 1: unknown column {unknown[0]!r}")
    return [(f"{path.name}: line {reader.line_num}", dict(row)) for row in reader]


def _boolean(row: dict[str, Any], key: str) -> bool:
    value = row.get(key)
    if isinstance(value, bool):
        return value
    text = str(value or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{key!r} must be true or false")


def _user(position: str, row: dict[str, Any]) -> ImportedUser:
    unknown = [key for key in row if key not in FIELDS]
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    username = text_field(row, "username")
    if username is None:
        raise ValueError("the user has no username")
    otpauth = text_field(row, "otpauth")
    password_hash = text_field(row, "password_hash")
    return ImportedUser(
        position=position,
        username=username,
        email=text_field(row, "email"),
        email_verified=_boolean(row, "email_verified"),
        name=text_field(row, "name"),
        disabled=_boolean(row, "disabled"),
        password=from_crypt_string(password_hash) if password_hash else None,
        totp=parse_otpauth(otpauth)[1] if otpauth else None,
    )
