"""The ``bridge`` command, as an operator uses it."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from bridge.cli import main
from bridge.storage.crypto import generate_key_spec
from tests.bridges import FAST_ARGON2, Invoke


@pytest.fixture
def run(bridge_cli: Invoke) -> Invoke:
    return bridge_cli


def test_user_add_reads_the_password_from_stdin_and_lists_the_user(run: Invoke) -> None:
    added = run(
        "user",
        "add",
        "Alice",
        "--email",
        "alice@example.com",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert added.exit_code == 0, added.output
    assert "created user alice" in added.output
    listed = run("user", "list")
    assert listed.output.split("\t")[:3] == ["alice", "alice@example.com", "-"]


def test_user_add_refuses_a_duplicate_and_a_short_password(run: Invoke) -> None:
    run(
        "user",
        "add",
        "bob",
        "--email",
        "b@example.com",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    again = run(
        "user",
        "add",
        "BOB",
        "--email",
        "b@example.com",
        "--password-stdin",
        stdin="another long one\n",
    )
    assert again.exit_code == 1 and "bob" in again.output.lower()
    short = run(
        "user", "add", "carol", "--email", "c@example.com", "--password-stdin", stdin="short\n"
    )
    assert short.exit_code == 1 and "password" in short.output.lower()


def test_client_add_json_prints_the_id_and_the_secret_once(run: Invoke) -> None:
    result = run(
        "client", "add", "--name", "CRM", "--redirect-uri", "https://crm.example.com/cb", "--json"
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert set(created) == {"client_id", "client_secret"}
    assert len(created["client_secret"]) >= 43
    listed = run("client", "list")
    assert created["client_id"] in listed.output
    assert created["client_secret"] not in listed.output


def test_client_add_refuses_a_plain_http_redirect_uri_off_loopback(run: Invoke) -> None:
    result = run("client", "add", "--name", "Bad", "--redirect-uri", "http://crm.example.com/cb")
    assert result.exit_code == 1
    assert "https" in result.output


def test_keys_rotate_keeps_the_old_key_published(run: Invoke) -> None:
    first = run("keys", "rotate").output.split()[-1]
    second = run("keys", "rotate").output.split()[-1]
    assert first != second


def test_a_bad_config_file_names_the_file_line_and_key(run: Invoke, tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text("issuer: http://127.0.0.1:8000\ntotp:\n  digits: 7\n")
    result = run("--config", str(config), "user", "list")
    assert result.exit_code == 1
    assert f"{config}:3: totp.digits" in result.output


def test_flows_check_reports_a_broken_flow_file(run: Invoke, tmp_path: Path) -> None:
    flows_dir = tmp_path / "flows"
    flows_dir.mkdir()
    (flows_dir / "browser.yaml").write_text(
        "id: browser\nsteps:\n  - type: passwrd\n    requirement: required\n"
    )
    config = tmp_path / "bridge.yaml"
    config.write_text(f"flows:\n  directory: {flows_dir}\n")
    result = run("--config", str(config), "flows", "check")
    assert result.exit_code == 1
    assert "browser.yaml:3" in result.output and "passwrd" in result.output


def test_flows_check_passes_on_the_shipped_flows(run: Invoke) -> None:
    result = run("flows", "check")
    assert result.exit_code == 0
    assert "ok: browser" in result.output


def test_the_embedded_database_is_created_on_first_use_by_any_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"BRIDGE_DATA_DIR": str(tmp_path / "fresh"), **FAST_ARGON2}
    result = CliRunner().invoke(
        main,
        ["user", "add", "dora", "--email", "d@example.com", "--password-stdin"],
        input="a long passphrase\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fresh" / "bridge.db").exists()


def test_an_unmigrated_production_database_is_refused_with_the_command_to_run(
    postgres_admin_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"bridge_cli_{secrets.token_hex(4)}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        monkeypatch.chdir(tmp_path)
        env = {
            "BRIDGE_DATABASE_URL": postgres_admin_url.set(database=name).render_as_string(
                hide_password=False
            ),
            "BRIDGE_SECRET_KEY": "k" * 48,
            "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
            **FAST_ARGON2,
        }
        result = CliRunner().invoke(main, ["user", "list"], env=env)
        assert result.exit_code == 1
        assert "run `bridge db upgrade`" in result.output
        assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
        assert CliRunner().invoke(main, ["user", "list"], env=env).exit_code == 0
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
