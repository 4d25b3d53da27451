"""The bridge's own export (``bridge export``), read back by ``bridge import bridge``.

A JSON document, format ``bridge-export`` version 1 (``docs/migration.md`` describes every
field): ``organisations`` (with their policy), ``users`` (with memberships and federated links),
``clients`` and ``identity_providers`` (without their secrets: they are listed, not imported),
and ``secrets``: null, or the users' password hashes and TOTP secrets encrypted with a key
derived from a passphrase (scrypt, n=2**15, r=8, p=1, then AES-256-GCM; ``cryptography``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from bridge.services.foreign_passwords import UnsupportedHash, is_imported, parse_stored
from bridge.services.imports.files import expect_object, read_json
from bridge.services.imports.otpauth import decode_base32
from bridge.services.imports.records import (
    ImportedTotp,
    ImportedUser,
    ImportFailed,
    Membership,
    OrgSpec,
    Problem,
    Source,
)

FORMAT = "bridge-export"
VERSION = 1
KDF = {"name": "scrypt", "n": 2**15, "r": 8, "p": 1}
CIPHER = "AES-256-GCM"
AAD = b"bridge-export:v1:secrets"
MIN_PASSPHRASE = 12
#: Policy fields the export carries; SSO needs a provider, which is not imported.
POLICY_FIELDS = (
    "mfa_enforced",
    "on_disable",
    "trusted_browsers_enabled",
    "trusted_browser_days",
    "lockout_password_failures",
    "lockout_code_failures",
    "lockout_action",
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _key(passphrase: str, salt: bytes, kdf: dict[str, Any]) -> bytes:
    return Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(
        passphrase.encode("utf-8")
    )


def seal_secrets(secrets: dict[str, Any], passphrase: str) -> dict[str, Any]:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ImportFailed(f"the passphrase needs at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    plaintext = json.dumps(secrets, sort_keys=True).encode()
    ciphertext = AESGCM(_key(passphrase, salt, KDF)).encrypt(nonce, plaintext, AAD)
    return {
        "kdf": {**KDF, "salt": _b64(salt)},
        "cipher": CIPHER,
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }


def open_secrets(sealed: Any, passphrase: str, where: str) -> dict[str, Any]:
    try:
        kdf = sealed["kdf"]
        if kdf["name"] != "scrypt" or sealed["cipher"] != CIPHER:
            raise ImportFailed(f"{where}: secrets: unknown kdf or cipher")
        if not (kdf["n"] <= 2**20 and kdf["r"] <= 16 and kdf["p"] <= 4):
            raise ImportFailed(f"{where}: secrets: kdf parameters out of bounds")
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(sealed["nonce"], validate=True)
        ciphertext = base64.b64decode(sealed["ciphertext"], validate=True)
    except (KeyError, TypeError, binascii.Error) as error:
        raise ImportFailed(f"{where}: secrets: not a sealed secrets section") from error
    try:
        plaintext = AESGCM(_key(passphrase, salt, kdf)).decrypt(nonce, ciphertext, AAD)
    except (InvalidTag, ValueError) as error:
        raise ImportFailed(f"{where}: the passphrase does not open the secrets section") from error
    return expect_object(json.loads(plaintext), f"{where}: secrets")


def sealed(path: Path) -> bool:
    """Whether the export at ``path`` holds a secrets section (so needs a passphrase)."""
    document = read_json(path)
    return isinstance(document, dict) and document.get("secrets") is not None


def read_bridge_file(path: Path, passphrase: str | None) -> Source:
    document = expect_object(read_json(path), str(path))
    if document.get("format") != FORMAT:
        raise ImportFailed(f"{path}: not a bridge export (format is not {FORMAT!r})")
    if document.get("version") != VERSION:
        raise ImportFailed(f"{path}: version {document.get('version')!r} is not {VERSION}")
    secrets: dict[str, Any] = {}
    if document.get("secrets") is not None:
        if passphrase is None:
            raise ImportFailed(f"{path}: the export holds secrets; give its passphrase")
        secrets = open_secrets(document["secrets"], passphrase, str(path))
    source = Source("bridge", (str(path),))
    for index, raw in enumerate(document.get("organisations") or []):
        try:
            source.organisations.append(_organisation(raw))
        except (KeyError, TypeError, ValueError) as error:
            source.problems.append(Problem(f"{path.name}: organisations[{index}]", str(error)))
    source.organisations.sort(key=lambda spec: spec.parent is not None)  # partners first
    user_secrets = secrets.get("users") or {}
    for index, raw in enumerate(document.get("users") or []):
        position = f"{path.name}: users[{index}]"
        try:
            source.users.append(_user(raw, position, user_secrets))
        except (KeyError, TypeError, ValueError) as error:
            source.problems.append(Problem(position, str(error) or type(error).__name__))
    for client in document.get("clients") or []:
        if isinstance(client, dict):
            source.notes.append(
                f"client {client.get('client_id')} ({client.get('name')}) is not imported: "
                "register it with `bridge client add` (secrets are never exported)"
            )
    for provider in document.get("identity_providers") or []:
        if isinstance(provider, dict):
            source.notes.append(
                f"identity provider {provider.get('alias')} is not imported: add it with "
                "`bridge idp add` (its client secret is never exported)"
            )
    return source


def _organisation(raw: Any) -> OrgSpec:
    if not isinstance(raw, dict):
        raise ValueError("an organisation must be an object")
    policy = raw.get("policy") or {}
    return OrgSpec(
        slug=str(raw["slug"]),
        name=str(raw["name"]),
        kind=str(raw.get("kind", "standalone")),
        mode=str(raw.get("mode", "production")),
        parent=raw.get("parent"),
        policy={key: policy[key] for key in POLICY_FIELDS if key in policy},
        verified_domains=tuple(str(domain) for domain in raw.get("verified_domains") or []),
    )


def _user(raw: Any, position: str, secrets: dict[str, Any]) -> ImportedUser:
    if not isinstance(raw, dict) or not isinstance(raw.get("username"), str):
        raise ValueError("a user must be an object with a username")
    username = raw["username"]
    secret = secrets.get(username) or {}
    password_hash = secret.get("password_hash")
    foreign = None
    if isinstance(password_hash, str) and is_imported(password_hash):
        try:
            foreign = parse_stored(password_hash)
        except UnsupportedHash as error:
            raise ValueError(f"password: {error}") from error
        password_hash = None
    totp = None
    if isinstance(secret.get("totp"), dict):
        entry = secret["totp"]
        totp = ImportedTotp(
            secret=decode_base32(entry["secret"]),
            algorithm=entry["algorithm"],
            digits=int(entry["digits"]),
            period=int(entry["period"]),
            last_used_step=entry.get("last_used_step"),
        )
    return ImportedUser(
        position=f"{position} ({username})",
        username=username,
        email=raw.get("email"),
        email_verified=bool(raw.get("email_verified")),
        name=raw.get("name"),
        disabled=bool(raw.get("disabled")),
        password=foreign,
        native_password_hash=password_hash if isinstance(password_hash, str) else None,
        totp=totp,
        memberships=tuple(Membership(m["org"], m["role"]) for m in raw.get("memberships") or []),
        links=tuple((link["provider"], link["subject"]) for link in raw.get("links") or []),
        mfa_required=bool(raw.get("mfa_required")),
        service_account=bool(raw.get("service_account")),
    )
