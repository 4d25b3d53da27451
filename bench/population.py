"""Scratch stores and many users with a password and TOTP, made cheaply for a bench.

``users.create`` hashes each password with argon2id (at the defaults about 190 ms of CPU
here) and TOTP enrolment hashes ten recovery codes: thousands of users made that way would
take longer than the bench. Here one password hash is made with the server's parameters (so no
login rehashes it) and every user is written by the importer (``bridge import``'s own path)
with that hash and a TOTP secret of its own.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from bench.login_flow import scratch_postgres_database
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets
from bridge.services.container import build_services
from bridge.services.imports.records import ImportedTotp, ImportedUser, Source
from bridge.services.passwords import PasswordHasher
from bridge.storage.crypto import generate_key_spec
from bridge.storage.db.engine import Database
from tests.e2e.harness import CALLBACK, PASSWORD

#: argon2id parameters by name: OWASP's first row, and the bridge's defaults (settings).
HASHES: dict[str, dict[str, str]] = {
    "owasp": {
        "BRIDGE_PASSWORDS__ARGON2_TIME_COST": "2",
        "BRIDGE_PASSWORDS__ARGON2_MEMORY_COST": "19456",
        "BRIDGE_PASSWORDS__ARGON2_PARALLELISM": "1",
    },
    "default": {},
}


def production_environment(workdir: Path, issuer: str, hash_name: str) -> dict[str, str]:
    """``BRIDGE_*`` settings of a bridge on a scratch PostgreSQL database and Redis."""
    return {
        "BRIDGE_ISSUER": issuer,
        "BRIDGE_DATA_DIR": str(workdir),
        "BRIDGE_SECRET_KEY": os.urandom(32).hex(),
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
        "BRIDGE_DATABASE_URL": scratch_postgres_database(),
        "BRIDGE_EPHEMERAL__BACKEND": "redis",
        "BRIDGE_EPHEMERAL__REDIS_URL": "redis://127.0.0.1:6379/14",
        "BRIDGE_EPHEMERAL__KEY_PREFIX": f"bench:{os.getpid()}:{os.urandom(3).hex()}:",
        **HASHES[hash_name],
    }


@dataclass(frozen=True)
class Population:
    client_id: str
    client_secret: str | None
    users: list[tuple[str, str]]  # (username, base32 TOTP secret)
    hasher: PasswordHasher


def populate(environ: dict[str, str], count: int) -> Population:
    """Migrate the database of ``environ``, then add one confidential client and ``count``
    users (``bench-<n>``, password ``PASSWORD``, TOTP confirmed)."""
    settings = load_settings(None, environ)
    Database(settings.database_url_resolved).upgrade()
    secrets = Secrets(
        secret_key=environ["BRIDGE_SECRET_KEY"].encode(),
        encryption_keys=environ["BRIDGE_ENCRYPTION_KEYS"],
    )
    services = build_services(settings, secrets)
    try:
        hasher = PasswordHasher(
            time_cost=settings.passwords.argon2_time_cost,
            memory_cost=settings.passwords.argon2_memory_cost,
            parallelism=settings.passwords.argon2_parallelism,
            threads=settings.passwords.argon2_threads,
        )
        password_hash = hasher.hash(PASSWORD)
        record, secret = services.clients.add("bench", [CALLBACK])
        users, imported = [], []
        for n in range(count):
            raw = os.urandom(20)
            username = f"bench-{n}"
            users.append((username, base64.b32encode(raw).decode()))
            imported.append(
                ImportedUser(
                    position=str(n),
                    username=username,
                    email=f"{username}@example.com",
                    native_password_hash=password_hash,
                    totp=ImportedTotp(raw),
                )
            )
        report = services.importer.run(Source("bench", (), users=imported))
        assert not report.problems, report.problems[:3]
        return Population(record.id, secret, users, hasher)
    finally:
        services.close()
