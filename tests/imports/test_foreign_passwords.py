"""Foreign password hashes: the allow-listed schemes verify as Keycloak and Authelia made them."""

from __future__ import annotations

import base64
import json

import pytest

from bridge.services.foreign_passwords import (
    UnsupportedHash,
    from_crypt_string,
    keycloak_argon2,
    keycloak_pbkdf2,
    verify_foreign,
)
from tests.imports.hashes import (
    SHA256_CRYPT_VECTOR,
    SHA512_CRYPT_VECTOR,
    authelia_argon2id,
    authelia_pbkdf2,
    authelia_scrypt,
    authelia_sha2crypt,
    keycloak_password,
)

PASSWORD = "Correct horse 🐎 battery"


def _from_keycloak(credential: dict[str, object]) -> str:
    secret = json.loads(str(credential["secretData"]))
    data = json.loads(str(credential["credentialData"]))
    salt, value = base64.b64decode(secret["salt"]), base64.b64decode(secret["value"])
    if data["algorithm"] == "argon2":
        extra = {key: values[0] for key, values in data["additionalParameters"].items()}
        return keycloak_argon2(
            variant=extra["type"],
            version=extra["version"],
            memory=int(extra["memory"]),
            iterations=data["hashIterations"],
            parallelism=int(extra["parallelism"]),
            salt=salt,
            value=value,
        ).stored
    return keycloak_pbkdf2(data["algorithm"], data["hashIterations"], salt, value).stored


@pytest.mark.parametrize("algorithm", ["pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512", "argon2"])
def test_a_keycloak_password_verifies_with_the_original_password(algorithm: str) -> None:
    stored = _from_keycloak(keycloak_password(PASSWORD, algorithm))
    assert stored.startswith("imported:v1:")
    assert verify_foreign(stored, PASSWORD)
    assert not verify_foreign(stored, PASSWORD + "!")


@pytest.mark.parametrize("key_bits", [256, 512])
def test_a_keycloak_pbkdf2_key_of_any_size_verifies(key_bits: int) -> None:
    credential = keycloak_password(PASSWORD, "pbkdf2-sha256", key_bits=key_bits)
    assert verify_foreign(_from_keycloak(credential), PASSWORD)


@pytest.mark.parametrize(
    "make",
    [
        authelia_argon2id,
        authelia_scrypt,
        lambda pw: authelia_pbkdf2(pw, "sha256"),
        lambda pw: authelia_pbkdf2(pw, "sha512"),
        lambda pw: authelia_sha2crypt(pw, 512),
        lambda pw: authelia_sha2crypt(pw, 256),
    ],
    ids=["argon2id", "scrypt", "pbkdf2-sha256", "pbkdf2-sha512", "sha512crypt", "sha256crypt"],
)
def test_an_authelia_password_verifies_with_the_original_password(make: object) -> None:
    assert callable(make)
    stored = from_crypt_string(make(PASSWORD)).stored
    assert verify_foreign(stored, PASSWORD)
    assert not verify_foreign(stored, "wrong password")


@pytest.mark.parametrize("vector", [SHA512_CRYPT_VECTOR, SHA256_CRYPT_VECTOR])
def test_the_sha_crypt_specification_vectors_verify(vector: tuple[str, str]) -> None:
    password, crypt = vector
    assert verify_foreign(from_crypt_string(crypt).stored, password)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "'2b'"),
        ("$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0", "'1'"),
        ("plaintext", "'?'"),
        ("$pbkdf2-sha512$0$c2FsdA$a2V5", "outside"),
        ("$pbkdf2-sha512$99999999$c2FsdA$a2V5", "outside"),
        ("$pbkdf2-md5$1000$c2FsdA$a2V5", "reads"),
        ("$scrypt$ln=25,r=64,p=1$c2FsdA$a2V5", "1 GiB"),
        ("$scrypt$ln=10,q=8$c2FsdA$a2V5", "unknown"),
        ("$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$a2V5a2V5a2V5", "too large"),
        ("$6$rounds=999999999$salt$hash", "outside"),
    ],
)
def test_a_hash_off_the_allow_list_or_out_of_bounds_is_refused(text: str, reason: str) -> None:
    with pytest.raises(UnsupportedHash, match=reason):
        from_crypt_string(text)


def test_a_keycloak_algorithm_off_the_allow_list_is_refused() -> None:
    with pytest.raises(UnsupportedHash, match="'pbkdf2-sha224' is not supported"):
        keycloak_pbkdf2("pbkdf2-sha224", 1000, b"salt", b"key")


@pytest.mark.parametrize(
    "stored",
    [
        "imported:v1:md5:abc",
        "imported:v1:keycloak-pbkdf2-sha256:notanumber$c2FsdA==$a2V5",
        "imported:v1",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$a2V5",
    ],
)
def test_a_malformed_stored_hash_never_verifies(stored: str) -> None:
    assert verify_foreign(stored, PASSWORD) is False
