"""``bridge org audit`` (filters), ``bridge org audit-export`` and ``bridge audit prune``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from bridge.storage.db.engine import Database
from tests.bridges import Invoke


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    for name in ("ada", "bob", "gus"):
        bridge_cli(
            "user", "add", name, "--email", f"{name}@example.com", "--password-stdin",
            stdin="a long passphrase\n",
        )  # fmt: skip
    for slug, admin in (("acme", "ada"), ("globex", "gus")):
        bridge_cli("org", "create", slug, "--name", slug.title())
        bridge_cli("member", "add", slug, admin, "--role", "admin")
    bridge_cli("member", "add", "acme", "bob")
    bridge_cli("member", "require-mfa", "acme", "bob")
    return bridge_cli


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_the_audit_listing_filters_by_event_and_user(run: Invoke) -> None:
    listed = run("org", "audit", "acme", "--event", "member_added", "--user", "bob")
    assert listed.exit_code == 0, listed.output
    assert [e["event"] for e in lines(listed.output)] == ["member_added"]
    assert run("org", "audit", "acme", "--user", "gus").output == ""


def test_a_bad_filter_is_refused_with_a_message(run: Invoke) -> None:
    refused = run("org", "audit", "acme", "--since", "soon")
    assert refused.exit_code == 1
    assert "'since' must be an ISO 8601 date" in refused.output


def test_the_export_writes_csv_oldest_first_to_a_file(run: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "acme.csv"
    exported = run("org", "audit-export", "acme", "--format", "csv", "-o", str(out), "--as", "ada")
    assert exported.exit_code == 0, exported.output
    events = [row["event"] for row in csv.DictReader(io.StringIO(out.read_text()))]
    assert events[0] == "org_created" and events[-1] == "mfa_required_by_admin"


def test_the_export_as_json_lines_goes_to_standard_output(run: Invoke) -> None:
    exported = run("org", "audit-export", "acme", "--event", "mfa_required_by_admin")
    assert [e["event"] for e in lines(exported.output)] == ["mfa_required_by_admin"]


def test_another_organisations_admin_cannot_export(run: Invoke) -> None:
    refused = run("org", "audit-export", "acme", "--as", "gus")
    assert refused.exit_code == 1
    assert "Only an admin of this organisation" in refused.output


def test_pruning_needs_a_retention(run: Invoke) -> None:
    refused = run("audit", "prune", "--dry-run")
    assert refused.exit_code == 1
    assert "audit.retention_days is not set" in refused.output


def test_pruning_deletes_events_older_than_the_retention_and_a_dry_run_only_counts(
    run: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'data' / 'bridge.db'}")
    with database.engine.begin() as connection:  # an event of long ago, seen by acme
        connection.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, event, details)"
                " VALUES (9999, '2020-01-01 00:00:00', 'sign_in_failed', '{}')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO audit_event_orgs (org_id, event_id) SELECT id, 9999 FROM organisations"
            )
        )
    database.dispose()
    before = len(lines(run("org", "audit", "acme", "--limit", "500").output))
    monkeypatch.setenv("BRIDGE_AUDIT__RETENTION_DAYS", "30")
    counted = run("audit", "prune", "--dry-run")
    assert counted.exit_code == 0, counted.output
    assert counted.output.startswith("would delete 1 audit event(s) before ")
    assert len(lines(run("org", "audit", "acme", "--limit", "500").output)) == before
    assert run("audit", "prune").output.startswith("deleted 1 audit event(s) before ")
    after = lines(run("org", "audit", "acme", "--limit", "500").output)
    assert len(after) == before - 1
    assert "sign_in_failed" not in [e["event"] for e in after]
