"""A Keycloak realm export (``kc.sh export --realm R``): users inline in the realm file or in
``<realm>-users-<n>.json`` files beside it, with their credentials, groups, roles and federated
identities.

Credentials are JSON strings inside the user representation, as Keycloak stores them:
``password`` (``secretData``: ``value`` and ``salt`` in base64; ``credentialData``:
``algorithm``, ``hashIterations``, ``additionalParameters``) and ``otp`` (``secretData.value``;
``credentialData``: ``subType``, ``algorithm`` such as ``HmacSHA256``, ``digits``, ``period``,
``secretEncoding``: absent for the UTF-8 bytes of the value, ``BASE32`` for base32).

Groups and roles become memberships through a mapping file (YAML or JSON)::

    organisations: [{slug: acme, name: Acme Ltd}]      # created when missing
    groups: {/Acme: {org: acme, role: member}, /Acme/Admins: {org: acme, role: admin}}
    realm_roles: {acme-admin: {org: acme, role: admin}}
    client_roles: {portal: {manager: {org: acme, role: admin}}}
    identity_providers: {google: google}               # Keycloak alias: the bridge's alias

A user in a subgroup matches its parent groups' rules too; the highest role per organisation wins.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any

from bridge.services.foreign_passwords import (
    ForeignHash,
    keycloak_argon2,
    keycloak_pbkdf2,
)
from bridge.services.imports.files import expect_object, flag, read_json, text_field
from bridge.services.imports.mapping import Mapping, read_mapping
from bridge.services.imports.otpauth import decode_base32
from bridge.services.imports.records import (
    ImportedTotp,
    ImportedUser,
    ImportFailed,
    Problem,
    Source,
)

OTP_ALGORITHMS = {"HmacSHA1": "SHA1", "HmacSHA256": "SHA256", "HmacSHA512": "SHA512"}


def read_keycloak(realm_file: Path, mapping_file: Path | None = None) -> Source:
    realm = expect_object(read_json(realm_file), str(realm_file))
    name = realm.get("realm")
    if not isinstance(name, str) or not name:
        raise ImportFailed(f"{realm_file}: not a Keycloak realm export (no 'realm' name)")
    mapping = read_mapping(mapping_file) if mapping_file is not None else Mapping()
    files = [realm_file]
    source = Source("keycloak", (), organisations=list(mapping.organisations))
    _read_users(realm.get("users", []), realm_file, mapping, source)
    for users_file in _user_files(realm_file.parent, name):
        files.append(users_file)
        content = expect_object(read_json(users_file), str(users_file))
        _read_users(content.get("users", []), users_file, mapping, source)
    source.files = tuple(str(path) for path in files)
    return source


def _user_files(directory: Path, realm: str) -> list[Path]:
    pattern = re.compile(re.escape(realm) + r"-users-([0-9]+)\.json")
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := pattern.fullmatch(p.name))]
    return [path for _, path in sorted(found)]


def _read_users(users: Any, file: Path, mapping: Mapping, source: Source) -> None:
    if not isinstance(users, list):
        raise ImportFailed(f"{file}: 'users' must be a list")
    for index, raw in enumerate(users):
        position = f"{file.name}: users[{index}]"
        if isinstance(raw, dict) and isinstance(raw.get("username"), str):
            position += f" ({raw['username']})"
        if isinstance(raw, dict) and raw.get("serviceAccountClientId"):
            source.notes.append(f"{position}: a client's service account, not imported")
            continue
        try:
            source.users.append(_user(raw, position, mapping))
        except (ValueError, TypeError) as error:  # UnsupportedHash is a ValueError
            source.problems.append(Problem(position, str(error)))


def _user(raw: Any, position: str, mapping: Mapping) -> ImportedUser:
    if not isinstance(raw, dict):
        raise ValueError("a user must be an object")
    username = text_field(raw, "username")
    if username is None:
        raise ValueError("the user has no username")
    names = [text_field(raw, "firstName"), text_field(raw, "lastName")]
    full_name = " ".join(part for part in names if part) or None
    password: ForeignHash | None = None
    totp: ImportedTotp | None = None
    credentials = raw.get("credentials") or []
    if not isinstance(credentials, list):
        raise ValueError("'credentials' must be a list")
    for index, credential in enumerate(credentials):
        if not isinstance(credential, dict):
            raise ValueError(f"credentials[{index}] must be an object")
        kind = credential.get("type")
        try:
            if kind == "password" and password is None:
                password = _password(credential)
            elif kind == "otp" and totp is None:
                totp = _otp(credential)
        except (ValueError, TypeError) as error:  # UnsupportedHash is a ValueError
            raise ValueError(f"credentials[{index}] ({kind}): {error}") from error
    links = []
    for index, identity in enumerate(raw.get("federatedIdentities") or []):
        alias, subject = (identity.get(k) if isinstance(identity, dict) else None
                          for k in ("identityProvider", "userId"))  # fmt: skip
        if not isinstance(alias, str) or not isinstance(subject, str) or not alias or not subject:
            raise ValueError(f"federatedIdentities[{index}] needs identityProvider and userId")
        links.append((mapping.providers.get(alias, alias), subject))
    return ImportedUser(
        position=position,
        username=username,
        email=text_field(raw, "email"),
        email_verified=flag(raw, "emailVerified"),
        name=full_name,
        disabled=not flag(raw, "enabled", True),
        password=password,
        totp=totp,
        memberships=mapping.memberships(
            groups=_strings(raw, "groups"),
            realm_roles=_strings(raw, "realmRoles"),
            client_roles=raw.get("clientRoles") or {},
        ),
        links=tuple(links),
    )


def _strings(raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key!r} must be a list of names")
    return value


def _json_string(credential: dict[str, Any], key: str) -> dict[str, Any]:
    value = credential.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} is missing")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(f"{key} is not JSON ({error.msg})") from error
    if not isinstance(parsed, dict):
        raise ValueError(f"{key} is not a JSON object")
    return parsed


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{what} is not base64") from error


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number")
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be a number") from error


def _password(credential: dict[str, Any]) -> ForeignHash:
    secret = _json_string(credential, "secretData")
    data = _json_string(credential, "credentialData")
    algorithm = data.get("algorithm")
    if not isinstance(algorithm, str):
        raise ValueError("credentialData.algorithm is missing")
    iterations = _int(data.get("hashIterations"), "hashIterations")
    salt = _b64(secret.get("salt"), "secretData.salt")
    value = _b64(secret.get("value"), "secretData.value")
    if algorithm != "argon2":
        return keycloak_pbkdf2(algorithm, iterations, salt, value)
    extra = data.get("additionalParameters") or {}

    def parameter(key: str, default: str) -> str:
        values = extra.get(key) if isinstance(extra, dict) else None
        return str(values[0]) if isinstance(values, list) and values else default

    return keycloak_argon2(
        variant=parameter("type", "id"),
        version=parameter("version", "1.3"),
        memory=_int(parameter("memory", "7168"), "argon2 memory"),
        iterations=iterations,
        parallelism=_int(parameter("parallelism", "1"), "argon2 parallelism"),
        salt=salt,
        value=value,
    )


def _otp(credential: dict[str, Any]) -> ImportedTotp:
    secret = _json_string(credential, "secretData")
    data = _json_string(credential, "credentialData")
    if data.get("subType", "totp") != "totp":
        raise ValueError(f"OTP subType {data.get('subType')!r} is not totp (HOTP is not supported)")
    algorithm = OTP_ALGORITHMS.get(str(data.get("algorithm", "HmacSHA1")))
    if algorithm is None:
        raise ValueError(f"OTP algorithm {data.get('algorithm')!r} is not supported")
    value = secret.get("value")
    if not isinstance(value, str) or not value:
        raise ValueError("secretData.value is missing")
    encoding = data.get("secretEncoding")
    if encoding is None:
        raw = value.encode("utf-8")
    elif isinstance(encoding, str) and encoding.upper() == "BASE32":
        raw = decode_base32(value, what="BASE32 secret")
    else:
        raise ValueError(f"secretEncoding {encoding!r} is not BASE32 (or absent, for UTF-8)")
    return ImportedTotp(
        secret=raw,
        algorithm=algorithm,
        digits=_int(data.get("digits", 6), "digits"),
        period=_int(data.get("period", 30), "period"),
    )
