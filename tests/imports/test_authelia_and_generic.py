"""Importing Authelia's user database with its TOTP export, and the generic CSV / JSON Lines."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from bridge.services.container import Services
from bridge.services.imports.authelia import read_authelia
from bridge.services.imports.generic import read_generic
from bridge.services.imports.records import ImportFailed
from tests.e2e.harness import Browser, LiveBridge, RelyingParty
from tests.imports.hashes import authelia_scrypt
from tests.imports.sources import PASSWORDS, SECRETS, write_authelia, write_mapping
from tests.imports.test_keycloak import sign_in

AUTHELIA = ["fred", "john", "mary", "olga"]


@pytest.mark.parametrize("totp_format", ["uri", "csv"])
def test_authelia_users_sign_in_with_their_password_and_app(
    live: LiveBridge, rp: RelyingParty, browsers: object, tmp_path: Path, totp_format: str
) -> None:
    users, totp = write_authelia(tmp_path / "authelia", totp_format=totp_format)
    report = live.services.importer.run(read_authelia(users, totp, write_mapping(tmp_path / "m")))
    assert sorted(o.username for o in report.outcomes) == AUTHELIA
    assert report.problems == []
    assert callable(browsers)
    for username in AUTHELIA:
        # olga belongs to no organisation: the bridge's default asks her for a second factor.
        sign_in(live, rp, browsers(), username, enrols=username == "olga")
        user = live.services.users.find(username)
        assert user is not None and user.password_hash is not None
        assert user.password_hash.startswith("$argon2id$"), username
        live.clock.advance(60)


def test_authelia_groups_become_memberships(services: Services, tmp_path: Path) -> None:
    users, totp = write_authelia(tmp_path / "authelia")
    report = services.importer.run(read_authelia(users, totp, write_mapping(tmp_path / "m")))
    lines = {o.username: str(o) for o in report.outcomes}
    assert lines["john"] == "create john (password: argon2, totp: SHA1/6/30s, orgs: acme:admin)"
    assert lines["mary"] == "create mary (password: scrypt, orgs: acme:member)"
    assert lines["olga"] == "create olga (password: sha2crypt)"


@pytest.mark.parametrize("totp_format", ["uri", "csv"])
def test_every_bad_authelia_record_is_reported(
    services: Services, tmp_path: Path, totp_format: str
) -> None:
    users, totp = write_authelia(tmp_path / "authelia", totp_format=totp_format, bad=True)
    report = services.importer.run(read_authelia(users, totp))
    reasons = {problem.position: problem.reason for problem in report.problems}
    assert "'2b' is not on the allow-list" in reasons["users_database.yml: users.kate"]
    assert "'groups' must be a list" in reasons["users_database.yml: users.leo"]
    if totp_format == "uri":
        assert "'hotp' is not totp" in reasons[f"{totp.name}: line 3"]
        assert "no user of this name" in reasons[f"{totp.name}: line 4"]
    else:
        assert "'MD5' is not SHA1" in reasons[f"{totp.name}: line 4"]
    assert sorted(o.username for o in report.outcomes) == AUTHELIA


def test_a_file_that_is_not_a_user_database_stops_before_anything(tmp_path: Path) -> None:
    path = tmp_path / "users_database.yml"
    path.write_text("users:\n  john: [unclosed\n")
    with pytest.raises(ImportFailed, match=r"users_database.yml: line 3: not YAML"):
        read_authelia(path)


def _uri(username: str) -> str:
    secret = base64.b32encode(SECRETS[username]).decode().rstrip("=")
    return f"otpauth://totp/Example:{username}?secret={secret}&issuer=Example"


def test_a_generic_csv_imports_users_and_their_authenticators(
    live: LiveBridge, rp: RelyingParty, browser: Browser, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "username,email,otpauth,password_hash\n"
        f"john,john@example.com,{_uri('john')},"
        f'"{authelia_scrypt(PASSWORDS["john"])}"\n'
        "nobody,,otpauth://totp/x?secret=!!!,\n"
    )
    report = live.services.importer.run(read_generic(path))
    assert [str(o) for o in report.outcomes] == ["create john (password: scrypt, totp: SHA1/6/30s)"]
    assert [str(p) for p in report.problems] == [
        "people.csv: line 3: the secret is not valid base32"
    ]
    sign_in(live, rp, browser, "john")


def test_generic_json_lines_report_each_bad_line(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    lines = [
        {"username": "fred", "email": "fred@example.com", "otpauth": _uri("fred")},
        "{not json",
        {"username": "x", "colour": "blue"},
        {"email": "no-name@example.com"},
        {"username": "ann", "otpauth": "otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DP&digits=7"},
    ]
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    )
    report = services.importer.run(read_generic(path))
    assert [o.username for o in report.outcomes] == ["fred"]
    assert [str(p) for p in report.problems] == [
        "people.jsonl: line 2: not JSON (Expecting property name enclosed in double quotes)",
        "people.jsonl: line 3: unknown field 'colour'",
        "people.jsonl: line 4: the user has no username",
        "people.jsonl: line 5: TOTP digits 7 is not 6 or 8",
    ]
