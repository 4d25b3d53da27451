"""Every configuration error names where it comes from: file:line or the variable, then the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.errors import SettingsError
from bridge.config.loading import load_settings


@pytest.fixture(autouse=True)
def _working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "bridge.yaml"


def problems_in(path: Path | None, text: str | None = None, **environ: str) -> list[str]:
    if path is not None and text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return list(caught.value.problems)


def test_a_wrong_value_names_the_file_the_line_and_the_key(config: Path) -> None:
    text = "issuer: http://127.0.0.1:8000\ntotp:\n  algorithm: SHA1\n  digits: 7\n"

    assert problems_in(config, text) == [f"{config}:4: totp.digits: must be 6 or 8 (got 7)"]


def test_an_unknown_key_is_refused_with_a_suggestion(config: Path) -> None:
    assert problems_in(config, "server:\n  threds: 4\n") == [
        f"{config}:2: server.threds: unknown key (did you mean 'threads'?)"
    ]


def test_an_unknown_section_is_refused(config: Path) -> None:
    assert problems_in(config, "issuer: http://localhost\nlogging: {}\n") == [
        f"{config}:2: logging: unknown key"
    ]


def test_every_error_is_reported_one_per_line(config: Path) -> None:
    text = "server:\n  port: x\nsession:\n  lifetime: 60\ntokens:\n  authorization_code_ttl: 3600\n"

    assert problems_in(config, text) == [
        f"{config}:2: server.port: Input should be a valid integer (got 'x')",
        f"{config}:4: session.lifetime: must be between 300 and 2592000 (got 60)",
        f"{config}:6: tokens.authorization_code_ttl: must be between 10 and 600 (got 3600)",
    ]


@pytest.mark.parametrize(
    ("issuer", "problem"),
    [
        ("http://id.example.com", "must use https://"),
        ("https://id.example.com/?tenant=a", "without spaces, query or fragment"),
        ("https://id.example.com/#top", "without spaces, query or fragment"),
        ("id.example.com", "must be an absolute http:// or https:// URL"),
        ("ftp://id.example.com", "must be an absolute http:// or https:// URL"),
        ("https://user:pw@id.example.com", "must not contain a user name or password"),
    ],
)
def test_the_issuer_must_be_an_absolute_https_url(config: Path, issuer: str, problem: str) -> None:
    [line] = problems_in(config, f"issuer: '{issuer}'\n")

    assert line.startswith(f"{config}:1: issuer: ")
    assert problem in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("totp: { algorithm: MD5 }", "totp.algorithm: must be 'SHA1', 'SHA256' or 'SHA512'"),
        ("totp: { period: 10 }", "totp.period: must be between 15 and 120 (got 10)"),
        ("totp: { drift_steps: 3 }", "totp.drift_steps: must be between 0 and 2 (got 3)"),
        ("totp: { issuer_label: 'A:B' }", "totp.issuer_label: must not contain ':'"),
        ("ephemeral: { backend: memcached }", "ephemeral.backend: must be 'memory' or 'redis'"),
        ("ephemeral: { redis_url: 'http://x' }", "ephemeral.redis_url: must be a redis://"),
        ("mfa: { required: 'yes please' }", "mfa.required: Input should be a valid boolean"),
        ("keys: { signing_alg: HS256 }", "keys.signing_alg: must be 'RS256' or 'ES256'"),
        ("database_url: 'bridge.db'", "database_url: must be a SQLAlchemy URL"),
    ],
)
def test_each_setting_checks_its_range(config: Path, text: str, expected: str) -> None:
    [line] = problems_in(config, text + "\n")

    assert line.startswith(f"{config}:1: {expected}")


def test_argon2_costs_must_meet_an_owasp_row(config: Path) -> None:
    text = "passwords:\n  argon2_memory_cost: 19456\n  argon2_time_cost: 1\n"

    [line] = problems_in(config, text)

    assert line.startswith(
        f"{config}:1: passwords: argon2_memory_cost=19456 with argon2_time_cost=1"
    )
    assert "OWASP" in line


def test_argon2_threads_may_not_exceed_the_lanes(config: Path) -> None:
    text = "passwords:\n  argon2_parallelism: 2\n  argon2_threads: 4\n"

    [line] = problems_in(config, text)

    assert line == (
        f"{config}:1: passwords: argon2_threads=4 exceeds argon2_parallelism=2: "
        "a hash runs at most one thread per lane"
    )


def test_the_key_rotation_grace_must_outlive_signed_tokens(config: Path) -> None:
    [line] = problems_in(config, "keys:\n  rotation_grace: 300\n")

    assert line.startswith(f"{config}:2: keys.rotation_grace: must be at least the longest")


def test_a_bad_variable_names_the_variable() -> None:
    assert problems_in(None, BRIDGE_SERVER__PORT="nine") == [
        "BRIDGE_SERVER__PORT: server.port: Input should be a valid integer (got 'nine')"
    ]


def test_an_error_in_an_overridden_key_names_the_variable_not_the_file(config: Path) -> None:
    assert problems_in(config, "totp: { digits: 6 }\n", BRIDGE_TOTP__DIGITS="7") == [
        "BRIDGE_TOTP__DIGITS: totp.digits: must be 6 or 8 (got 7)"
    ]


def test_an_unknown_variable_is_refused_with_a_suggestion() -> None:
    assert problems_in(None, BRIDGE_SERVER__PROT="9000") == [
        "BRIDGE_SERVER__PROT: not a known setting (did you mean BRIDGE_SERVER__PORT?)"
    ]


def test_a_variable_for_a_whole_section_is_refused() -> None:
    assert problems_in(None, BRIDGE_TOTP="digits: 8") == [
        "BRIDGE_TOTP: is a section; set BRIDGE_TOTP__<KEY> for each key"
    ]


def test_a_yaml_syntax_error_names_the_line(config: Path) -> None:
    [line] = problems_in(config, "issuer: http://localhost\nserver:\n  port: [9000\n  host: x\n")

    assert line.startswith(f"{config}:4: invalid YAML")


def test_a_duplicate_key_is_refused(config: Path) -> None:
    assert problems_in(config, "server:\n  port: 1\nmfa: {}\nserver:\n  port: 2\n") == [
        f"{config}:4: server: duplicate key"
    ]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    assert problems_in(missing) == [f"{missing}: configuration file not found"]


def test_the_file_must_hold_a_mapping(config: Path) -> None:
    assert problems_in(config, "- issuer\n") == [
        f"{config}:1: the file must hold a mapping of settings"
    ]


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("secret_key: hunter2hunter2hunter2hunter2hunter2\n", "secret_key", 1),
        ("issuer: http://localhost\nencryption_keys: k1:abc\n", "encryption_keys", 2),
        ("keys:\n  signing_alg: RS256\n  private_key: abc\n", "keys.private_key", 3),
        ("mfa:\n  admin_password: x\n", "mfa.admin_password", 2),
        ("client_secret: {value: x}\n", "client_secret", 1),
    ],
)
def test_secrets_in_the_file_are_refused(config: Path, text: str, key: str, line: int) -> None:
    assert problems_in(config, text) == [
        f"{config}:{line}: {key}: secrets are not read from the configuration file; "
        "see docs/configuration.md#secrets"
    ]


def test_a_password_in_a_url_in_the_file_is_refused(config: Path) -> None:
    [line] = problems_in(config, "database_url: postgresql+psycopg://bridge:hunter2@db/bridge\n")

    assert line.startswith(f"{config}:1: database_url: contains a password")
    assert "BRIDGE_DATABASE_URL" in line
    assert "hunter2" not in line


def test_a_password_in_a_url_from_the_environment_is_accepted() -> None:
    url = "postgresql+psycopg://bridge:hunter2@db/bridge"

    assert load_settings(None, {"BRIDGE_DATABASE_URL": url}).database_url == url


def test_a_bad_database_url_is_not_echoed() -> None:
    [line] = problems_in(None, BRIDGE_DATABASE_URL="bridge:hunter2@db")

    assert "hunter2" not in line


def test_a_url_variable_and_its_file_together_are_refused(tmp_path: Path) -> None:
    assert problems_in(
        None, BRIDGE_DATABASE_URL="postgresql://db/x", BRIDGE_DATABASE_URL_FILE=str(tmp_path)
    ) == [
        "BRIDGE_DATABASE_URL_FILE: set either BRIDGE_DATABASE_URL or BRIDGE_DATABASE_URL_FILE, "
        "not both"
    ]


def test_an_unreadable_url_file_is_named(tmp_path: Path) -> None:
    [line] = problems_in(None, BRIDGE_EPHEMERAL__REDIS_URL_FILE=str(tmp_path / "absent"))

    assert line.startswith(f"BRIDGE_EPHEMERAL__REDIS_URL_FILE: cannot read {tmp_path / 'absent'}")


def test_a_bad_url_from_a_file_names_the_variable_and_hides_the_value(tmp_path: Path) -> None:
    (tmp_path / "url").write_text("bridge:hunter2@db\n")

    assert problems_in(None, BRIDGE_DATABASE_URL_FILE=str(tmp_path / "url")) == [
        "BRIDGE_DATABASE_URL_FILE: database_url: must be a SQLAlchemy URL such as "
        "postgresql+psycopg://host/db"
    ]
