"""Files as Keycloak and Authelia write them: a realm export (users inline and in a separate
``<realm>-users-0.json``), an Authelia ``users_database.yml`` with its TOTP export, and the
mapping of groups to organisations. Every user signs in with ``PASSWORDS[username]`` and the
codes of ``SECRETS[username]`` (raw bytes)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml

from tests.imports.hashes import (
    authelia_argon2id,
    authelia_pbkdf2,
    authelia_scrypt,
    authelia_sha2crypt,
    keycloak_password,
)

PASSWORDS = {
    "alice": "alice's keycloak password",
    "bob": "bob's keycloak password",
    "carol": "carol's keycloak password",
    "dave": "dave's keycloak password",
    "john": "john's authelia password",
    "mary": "mary's authelia password",
    "fred": "fred's authelia password",
    "olga": "olga's authelia password",
}
#: Keycloak's UTF-8 secrets are 20 printable characters; BASE32 ones and Authelia's are bytes.
SECRETS: dict[str, bytes] = {
    "alice": b"Zq3!xV9@pL2#mN8$kR4%",
    "bob": bytes(range(100, 132)),
    "dave": bytes(range(1, 21)),
    "john": bytes(range(40, 72)),
    "fred": bytes(range(200, 232)),
}
#: (algorithm, digits, period) of each authenticator.
TOTP_SETTINGS = {
    "alice": ("SHA1", 6, 30),
    "bob": ("SHA256", 8, 30),
    "dave": ("SHA512", 6, 60),
    "john": ("SHA1", 6, 30),
    "fred": ("SHA256", 8, 30),
}


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def keycloak_otp(username: str, *, encoding: str | None) -> dict[str, Any]:
    """An ``otp`` credential; ``encoding`` None is Keycloak's UTF-8 (no secretEncoding)."""
    algorithm, digits, period = TOTP_SETTINGS[username]
    raw = SECRETS[username]
    value = raw.decode() if encoding is None else _b32(raw)
    data: dict[str, Any] = {
        "subType": "totp",
        "digits": digits,
        "counter": 0,
        "period": period,
        "algorithm": f"Hmac{algorithm}",
    }
    if encoding is not None:
        data["secretEncoding"] = encoding
    return {
        "id": f"otp-{username}",
        "type": "otp",
        "userLabel": "Phone",
        "createdDate": 1_700_000_000_000,
        "secretData": json.dumps({"value": value}),
        "credentialData": json.dumps(data),
    }


def keycloak_user(username: str, credentials: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": f"id-{username}",
        "createdTimestamp": 1_700_000_000_000,
        "username": username,
        "enabled": True,
        "totp": False,
        "emailVerified": True,
        "firstName": username.title(),
        "lastName": "Example",
        "email": f"{username}@acme.example",
        "credentials": credentials,
        "disableableCredentialTypes": [],
        "requiredActions": [],
        "realmRoles": ["default-roles-acme"],
        "notBefore": 0,
        "groups": [],
        **extra,
    }


#: Records a Keycloak export may hold that the bridge cannot import, with the reason reported.
KEYCLOAK_BAD_USERS: list[tuple[Any, str]] = [
    (
        keycloak_user(
            "erin",
            [
                {
                    **keycloak_password("x", "pbkdf2-sha256"),
                    "credentialData": json.dumps({"hashIterations": 10, "algorithm": "bcrypt"}),
                }
            ],
        ),
        "'bcrypt' is not supported",
    ),
    (
        keycloak_user(
            "frank",
            [
                {
                    "type": "otp",
                    "secretData": json.dumps({"value": "12345678901234567890"}),
                    "credentialData": json.dumps(
                        {
                            "subType": "hotp",
                            "digits": 6,
                            "counter": 3,
                            "period": 0,
                            "algorithm": "HmacSHA1",
                        }
                    ),
                }
            ],
        ),
        "HOTP is not supported",
    ),
    (keycloak_user("gina smith", []), "must be 1-150 characters"),
    ("not an object", "a user must be an object"),
    ({"enabled": True, "credentials": []}, "the user has no username"),
    (
        keycloak_user(
            "hank",
            [
                {
                    "type": "otp",
                    "secretData": json.dumps({"value": "short"}),
                    "credentialData": json.dumps(
                        {"subType": "totp", "digits": 6, "period": 30, "algorithm": "HmacSHA1"}
                    ),
                }
            ],
        ),
        "fewer than 80",
    ),
    (
        keycloak_user(
            "ivy", [{"type": "password", "secretData": "{not json", "credentialData": "{}"}]
        ),
        "secretData is not JSON",
    ),
    (keycloak_user("alice", []), "appears twice"),
    (keycloak_user("jack", [], groups=["/Ghost"]), "organisation 'ghost' does not exist"),
]


def write_keycloak_export(directory: Path, *, bad: bool = False) -> Path:
    """``acme-realm.json`` with alice, bob and carol inline and ``acme-users-0.json`` with dave
    (as ``kc.sh export --dir`` writes them); ``bad`` adds the unimportable records."""
    directory.mkdir(parents=True, exist_ok=True)
    users = [
        keycloak_user(
            "alice",
            [keycloak_password(PASSWORDS["alice"], "pbkdf2-sha256"),
             keycloak_otp("alice", encoding=None)],
            groups=["/Acme/Admins"],
        ),
        keycloak_user(
            "bob",
            [keycloak_password(PASSWORDS["bob"], "pbkdf2-sha512"),
             keycloak_otp("bob", encoding="BASE32")],
            groups=["/Acme"],
            clientRoles={"portal": ["viewer"]},
        ),
        keycloak_user(
            "carol",
            [keycloak_password(PASSWORDS["carol"], "argon2")],
            realmRoles=["default-roles-acme", "globex-admin"],
            federatedIdentities=[
                {"identityProvider": "google", "userId": "1098765", "userName": "carol"}
            ],
        ),
    ]  # fmt: skip
    if bad:
        users.extend(record for record, _ in KEYCLOAK_BAD_USERS)
    realm = {
        "id": "acme",
        "realm": "acme",
        "enabled": True,
        "otpPolicyType": "totp",
        "otpPolicyAlgorithm": "HmacSHA1",
        "otpPolicyDigits": 6,
        "otpPolicyPeriod": 30,
        "groups": [{"name": "Acme", "path": "/Acme", "subGroups": [
            {"name": "Admins", "path": "/Acme/Admins", "subGroups": []}]}],
        "users": users,
    }  # fmt: skip
    (directory / "acme-realm.json").write_text(json.dumps(realm, indent=2))
    separate = {
        "realm": "acme",
        "users": [
            keycloak_user(
                "dave",
                [keycloak_password(PASSWORDS["dave"], "pbkdf2", iterations=2000),
                 keycloak_otp("dave", encoding="BASE32")],
            )
        ],
    }  # fmt: skip
    (directory / "acme-users-0.json").write_text(json.dumps(separate, indent=2))
    return directory / "acme-realm.json"


def write_mapping(path: Path) -> Path:
    mapping = {
        "organisations": [
            {"slug": "acme", "name": "Acme Ltd"},
            {"slug": "globex", "name": "Globex"},
        ],
        "groups": {
            "/Acme": {"org": "acme", "role": "member"},
            "/Acme/Admins": {"org": "acme", "role": "admin"},
            "/Ghost": {"org": "ghost"},
            "admins": {"org": "acme", "role": "admin"},
            "dev": {"org": "acme"},
        },
        "realm_roles": {"globex-admin": {"org": "globex", "role": "admin"}},
        "client_roles": {"portal": {"viewer": {"org": "globex", "role": "member"}}},
        "identity_providers": {"google": "google"},
    }
    path.write_text(yaml.safe_dump(mapping))
    return path


def write_authelia(
    directory: Path, *, totp_format: str = "uri", bad: bool = False
) -> tuple[Path, Path]:
    """``users_database.yml`` (argon2id, scrypt, pbkdf2 and sha512crypt users) and the TOTP
    export of ``authelia storage user totp export uri`` (or ``csv``)."""
    directory.mkdir(parents=True, exist_ok=True)
    users: dict[str, Any] = {
        "john": {"displayname": "John Doe", "password": authelia_argon2id(PASSWORDS["john"]),
                 "email": "john@authelia.example", "groups": ["admins", "dev"]},
        "mary": {"displayname": "Mary Roe", "password": authelia_scrypt(PASSWORDS["mary"]),
                 "email": "mary@authelia.example", "groups": ["dev"]},
        "fred": {"displayname": "Fred Bloggs",
                 "password": authelia_pbkdf2(PASSWORDS["fred"], "sha512"),
                 "email": "fred@authelia.example", "groups": []},
        "olga": {"displayname": "Olga", "password": authelia_sha2crypt(PASSWORDS["olga"]),
                 "email": "olga@authelia.example", "disabled": False},
    }  # fmt: skip
    if bad:
        users["kate"] = {"password": "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"}
        users["leo"] = {"password": "$pbkdf2-sha512$1000$c2FsdA$a2V5", "groups": "dev"}
    (directory / "users_database.yml").write_text(yaml.safe_dump({"users": users}))
    entries = [(name, SECRETS[name], *TOTP_SETTINGS[name]) for name in ("john", "fred")]
    if totp_format == "uri":
        lines = [
            f"otpauth://totp/Authelia:{name}?algorithm={alg}&digits={digits}&issuer=Authelia"
            f"&period={period}&secret={_b32(raw)}"
            for name, raw, alg, digits, period in entries
        ]
        if bad:
            lines.append("otpauth://hotp/Authelia:mary?secret=JBSWY3DPEHPK3PXP&counter=1")
            lines.append("otpauth://totp/Authelia:nobody?secret=JBSWY3DPEHPK3PXPJBSWY3DP")
    else:
        lines = ["issuer,username,algorithm,digits,period,secret"] + [
            f"Authelia,{name},{alg},{digits},{period},{_b32(raw)}"
            for name, raw, alg, digits, period in entries
        ]
        if bad:
            lines.append("Authelia,mary,MD5,6,30,JBSWY3DPEHPK3PXP")
    totp = directory / ("totp.txt" if totp_format == "uri" else "totp.csv")
    totp.write_text("\n".join(lines) + "\n")
    return directory / "users_database.yml", totp
