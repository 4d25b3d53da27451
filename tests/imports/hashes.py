"""Password hashes as Keycloak and Authelia write them, computed with real libraries.

Keycloak keeps ``secretData`` (``value``, ``salt``: base64) and ``credentialData``
(``hashIterations``, ``algorithm``, ``additionalParameters``) as JSON strings; Authelia keeps a
PHC / modular crypt string. The keys are made here with ``cryptography`` and argon2-cffi, not
with the functions the bridge verifies them with.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import argon2
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from passlib.hash import pbkdf2_sha256, pbkdf2_sha512, sha256_crypt, sha512_crypt

SALT = bytes(range(16))
_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "pbkdf2": hashes.SHA1(),
    "pbkdf2-sha256": hashes.SHA256(),
    "pbkdf2-sha512": hashes.SHA512(),
}
#: Keycloak's PBKDF2 key size has been 256 or 512 bits across versions; the value's length says.
KEYCLOAK_KEY_BITS = 512


def keycloak_password(
    password: str, algorithm: str, *, iterations: int = 1000, key_bits: int = KEYCLOAK_KEY_BITS
) -> dict[str, Any]:
    """A Keycloak ``password`` credential representation (as ``kc.sh export`` writes it)."""
    if algorithm == "argon2":
        value = hash_secret_raw(
            password.encode(), SALT, time_cost=3, memory_cost=7168, parallelism=1,
            hash_len=32, type=Type.ID, version=19,
        )  # fmt: skip
        credential_data: dict[str, Any] = {
            "hashIterations": 3,
            "algorithm": "argon2",
            "additionalParameters": {
                "hashLength": ["32"],
                "memory": ["7168"],
                "type": ["id"],
                "version": ["1.3"],
                "parallelism": ["1"],
            },
        }
    else:
        kdf = PBKDF2HMAC(_DIGESTS[algorithm], key_bits // 8, SALT, iterations)
        value = kdf.derive(password.encode())
        credential_data = {
            "hashIterations": iterations,
            "algorithm": algorithm,
            "additionalParameters": {},
        }
    secret_data = {
        "value": base64.b64encode(value).decode(),
        "salt": base64.b64encode(SALT).decode(),
        "additionalParameters": {},
    }
    return {
        "id": f"cred-{algorithm}",
        "type": "password",
        "userLabel": "My password",
        "createdDate": 1_700_000_000_000,
        "secretData": json.dumps(secret_data),
        "credentialData": json.dumps(credential_data),
    }


def authelia_argon2id(password: str) -> str:
    return argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(password)


def authelia_scrypt(password: str, *, log_n: int = 10, r: int = 8, p: int = 1) -> str:
    key = Scrypt(salt=SALT, length=32, n=1 << log_n, r=r, p=p).derive(password.encode())
    raw = base64.b64encode  # go-crypt: standard alphabet, no padding
    return (
        f"$scrypt$ln={log_n},r={r},p={p}$"
        f"{raw(SALT).decode().rstrip('=')}${raw(key).decode().rstrip('=')}"
    )


def authelia_pbkdf2(password: str, digest: str = "sha512", rounds: int = 1000) -> str:
    handler = {"sha256": pbkdf2_sha256, "sha512": pbkdf2_sha512}[digest]
    return str(handler.using(rounds=rounds).hash(password))


def authelia_sha2crypt(password: str, bits: int = 512, rounds: int = 5000) -> str:
    handler = sha512_crypt if bits == 512 else sha256_crypt
    return str(handler.using(rounds=rounds).hash(password))


#: The test vectors of Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512" specification
#: (also what `openssl passwd -6 -salt saltstring` prints).
SHA512_CRYPT_VECTOR = (
    "Hello world!",
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEO"
    "faS35inz1",
)
SHA256_CRYPT_VECTOR = ("Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5")
