"""``bridge export`` and ``bridge import bridge``: a backup and a way out that keeps the logins."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from bridge.services.imports.bridge_file import read_bridge_file
from bridge.services.imports.keycloak import read_keycloak
from bridge.services.imports.records import ImportFailed
from bridge.services.orgs import Actor
from tests.bridges import Invoke, MigratedSqlite, make_services
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, Page, RelyingParty
from tests.imports.sources import write_keycloak_export, write_mapping
from tests.imports.test_keycloak import sign_in

PASSPHRASE = "a long export passphrase"


@pytest.fixture
def old_bridge(
    migrated_sqlite: MigratedSqlite, tmp_path: Path, clock: FrozenClock
) -> Iterator[Services]:
    """Another bridge, on a database of its own: the one being moved away from."""
    database = migrated_sqlite(tmp_path / "old" / "bridge.sqlite3")
    services = make_services("http://127.0.0.1:8000", database, tmp_path / "old-data", clock)
    yield services
    services.close()


def populate(services: Services, tmp_path: Path) -> str:
    """Keycloak users (still on their imported hashes) and nina, a native user with TOTP and
    a verified domain; nina's TOTP secret is returned."""
    realm = write_keycloak_export(tmp_path / "export")
    services.importer.run(read_keycloak(realm, write_mapping(tmp_path / "m.yaml")))
    services.orgs.add_domain(Actor.operator(), "acme", "acme.example")
    services.users.create("nina", email="nina@acme.example", password=PASSWORD)
    user = services.users.find("nina")
    assert user is not None
    offer = services.totp.start_enrolment(user.id, "nina")
    assert services.totp.confirm_enrolment(
        user.id, offer.credential_id, pyotp.TOTP(offer.secret).at(services.clock())
    )
    services.members.add(Actor.operator(), "acme", "nina", "member")
    services.clients.add("Old app", ["https://app.example/callback"])
    return offer.secret


def test_an_export_without_secrets_holds_no_hash_and_no_secret(
    old_bridge: Services, tmp_path: Path
) -> None:
    populate(old_bridge, tmp_path)
    document = old_bridge.exporter.export()
    text = json.dumps(document)
    assert document["format"] == "bridge-export" and document["version"] == 1
    assert document["secrets"] is None
    assert "argon2" not in text and "imported:v1" not in text
    assert "secret_hash" not in text
    nina = next(user for user in document["users"] if user["username"] == "nina")
    assert nina["has_totp"] and nina["memberships"] == [{"org": "acme", "role": "member"}]
    assert document["organisations"][0]["verified_domains"] == ["acme.example"]
    assert document["clients"][0]["name"] == "Old app"


def test_export_then_import_into_a_fresh_bridge_gives_the_same_logins(
    old_bridge: Services,
    live: LiveBridge,
    rp: RelyingParty,
    browsers: object,
    tmp_path: Path,
) -> None:
    nina_secret = populate(old_bridge, tmp_path)
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(old_bridge.exporter.export(passphrase=PASSPHRASE)))

    report = live.services.importer.run(read_bridge_file(path, PASSPHRASE))
    assert sorted(o.username for o in report.outcomes) == ["alice", "bob", "carol", "dave", "nina"]
    assert report.problems == []
    assert any("client" in note and "Old app" in note for note in report.notes)
    assert live.services.orgs.domains(Actor.operator(), "acme") == ["acme.example"]

    assert callable(browsers)
    live.clock.advance(120)
    sign_in(live, rp, browsers(), "alice")  # still on her Keycloak hash: upgraded now
    alice = live.services.users.find("alice")
    assert alice is not None and alice.password_hash is not None
    assert alice.password_hash.startswith("$argon2id$")
    browser: Browser = browsers()
    page = browser.open(rp.authorization_request().url)
    page = browser.submit(username="nina", password=PASSWORD)
    assert isinstance(page, Page) and page.title == "Two-factor authentication"
    assert isinstance(browser.submit(code=pyotp.TOTP(nina_secret).at(live.clock())), str)


def test_a_wrong_passphrase_is_refused_before_anything_is_written(
    old_bridge: Services, tmp_path: Path
) -> None:
    populate(old_bridge, tmp_path)
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(old_bridge.exporter.export(passphrase=PASSPHRASE)))
    with pytest.raises(ImportFailed, match="the passphrase does not open the secrets section"):
        read_bridge_file(path, "not the passphrase at all")


def test_the_export_command_writes_a_private_file_and_import_reads_it_back(
    bridge_cli: Invoke, tmp_path: Path
) -> None:
    assert bridge_cli("user", "add", "olive", "--email", "o@example.com", "--password-stdin",
                      stdin="olive's password\n").exit_code == 0  # fmt: skip
    path = tmp_path / "backup.json"
    result = bridge_cli(
        "export", "--output", str(path), "--include-secrets", "--passphrase-stdin",
        stdin=PASSPHRASE + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "argon2" not in path.read_text()
    wrong = bridge_cli(
        "import", "bridge", str(path), "--passphrase-stdin", stdin="nope nope nope\n"
    )
    assert wrong.exit_code == 1
    assert "the passphrase does not open the secrets section" in wrong.output
    again = bridge_cli(
        "import", "bridge", str(path), "--passphrase-stdin", "--on-conflict", "update",
        stdin=PASSPHRASE + "\n",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "update olive (password: argon2id)" in again.output
