"""``bridge import ...`` as an operator runs it: per-user lines, problems, never a secret."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.bridges import Invoke
from tests.imports.sources import SECRETS, write_authelia, write_keycloak_export, write_mapping


def _secrets_printed(output: str) -> list[str]:
    texts = [base64.b32encode(raw).decode().rstrip("=") for raw in SECRETS.values()]
    texts += [raw.decode("latin-1") for raw in SECRETS.values()]
    return [text for text in texts if text in output]


def test_a_dry_run_prints_each_user_and_writes_nothing(bridge_cli: Invoke, tmp_path: Path) -> None:
    realm = write_keycloak_export(tmp_path / "export")
    mapping = write_mapping(tmp_path / "mapping.yaml")
    result = bridge_cli("import", "keycloak", str(realm), "--mapping", str(mapping), "--dry-run")
    assert result.exit_code == 0, result.output
    assert (
        "would create alice (password: keycloak-pbkdf2-sha256, totp: SHA1/6/30s, orgs: acme:admin)"
        "  [acme-realm.json: users[0] (alice)]"
    ) in result.output
    assert "would create dave (password: keycloak-pbkdf2-sha1, totp: SHA512/6/60s)" in result.output
    assert "keycloak: 4 would be created, 0 would be updated" in result.output
    assert _secrets_printed(result.output) == []
    assert "alice" not in bridge_cli("user", "list").output


def test_an_import_writes_the_users_and_reports_bad_records_with_exit_status_1(
    bridge_cli: Invoke, tmp_path: Path
) -> None:
    realm = write_keycloak_export(tmp_path / "export", bad=True)
    mapping = write_mapping(tmp_path / "mapping.yaml")
    result = bridge_cli("import", "keycloak", str(realm), "--mapping", str(mapping))
    assert result.exit_code == 1
    assert "not imported: acme-realm.json: users[3] (erin): credentials[0] (password): " in (
        result.output
    )
    assert "not imported: acme-realm.json: users[5] (gina smith): username" in result.output
    assert "Error: 9 records were not imported (listed above); the others were imported" in (
        result.output
    )
    assert "Traceback" not in result.output
    assert _secrets_printed(result.output) == []
    listed = bridge_cli("user", "list").output
    for username in ("alice", "bob", "carol", "dave"):
        assert f"{username}\t" in listed
    assert "erin" not in listed


def test_an_existing_user_is_reported_with_on_conflict_report(
    bridge_cli: Invoke, tmp_path: Path
) -> None:
    users, totp = write_authelia(tmp_path / "authelia")
    assert bridge_cli("import", "authelia", str(users), "--totp", str(totp)).exit_code == 0
    again = bridge_cli("import", "authelia", str(users), "--on-conflict", "report")
    assert again.exit_code == 1
    assert "not imported: users_database.yml: users.john: a user named 'john' exists" in (
        again.output
    )


def test_a_file_that_cannot_be_read_is_one_clear_error(bridge_cli: Invoke, tmp_path: Path) -> None:
    broken = tmp_path / "acme-realm.json"
    broken.write_text('{"realm": "acme",\n "users": [}\n')
    result = bridge_cli("import", "keycloak", str(broken))
    assert result.exit_code == 1
    assert f"Error: The file cannot be imported: {broken}: line 2, column 12: not JSON" in (
        result.output
    )
    missing = bridge_cli("import", "generic", str(tmp_path / "nope.csv"))
    assert "nope.csv: no such file" in missing.output
    assert "Traceback" not in result.output + missing.output
