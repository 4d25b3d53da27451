"""Settings: embedded defaults, then the YAML file, then BRIDGE_* variables."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

from bridge.config.loading import config_path_from_env, load_settings
from bridge.config.settings import Settings

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLE = REPOSITORY / "config" / "bridge.yaml"


@pytest.fixture(autouse=True)
def _working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_file_every_setting_has_its_default(tmp_path: Path) -> None:
    settings = load_settings(None, {})

    assert settings.issuer == "http://127.0.0.1:8000"
    assert settings.data_dir == tmp_path / ".bridge"
    assert settings.database_url is None
    assert settings.ephemeral.backend == "memory"
    assert settings.ephemeral.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.ephemeral.key_prefix == "bridge:"
    assert (settings.server.host, settings.server.port, settings.server.threads) == (
        "127.0.0.1",
        8000,
        8,
    )
    assert settings.session.lifetime == 43200
    assert settings.session.cookie_name == "bridge_session"
    assert settings.tokens.authorization_code_ttl == 60
    assert settings.tokens.access_token_ttl == 600
    assert settings.tokens.id_token_ttl == 600
    assert settings.tokens.refresh_token_ttl == 2592000
    assert settings.keys.signing_alg == "RS256"
    assert settings.keys.rotation_grace == 86400
    assert settings.totp.issuer_label == "The bridge"
    assert (settings.totp.algorithm, settings.totp.digits, settings.totp.period) == ("SHA1", 6, 30)
    assert settings.totp.drift_steps == 1
    assert settings.mfa.required is True
    assert settings.passwords.argon2_time_cost == 3
    assert settings.passwords.argon2_memory_cost == 65536
    assert settings.passwords.argon2_parallelism == 4
    assert settings.passwords.argon2_threads == 1
    assert settings.flows.directory is None
    assert settings.flows.browser == "browser"


def test_the_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, {})

    assert settings.database_is_embedded
    assert settings.database_url_resolved == f"sqlite:///{tmp_path}/.bridge/bridge.db"


def test_a_database_url_is_used_as_given() -> None:
    settings = load_settings(None, {"BRIDGE_DATABASE_URL": "postgresql+psycopg://db/bridge"})

    assert not settings.database_is_embedded
    assert settings.database_url_resolved == "postgresql+psycopg://db/bridge"


def test_settings_are_frozen_and_hashable() -> None:
    settings = load_settings(None, {})

    with pytest.raises(ValueError, match="frozen"):
        settings.issuer = "https://elsewhere.example"  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        settings.totp.digits = 8  # type: ignore[misc]
    assert hash(settings) == hash(load_settings(None, {}))
    assert settings == load_settings(None, {})


def test_file_values_replace_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bridge.yaml",
        """
issuer: https://id.example.com
data_dir: /var/lib/bridge
ephemeral: { backend: redis, key_prefix: "idp:" }
server: { port: 9000 }
totp: { digits: 8, algorithm: SHA256 }
mfa: { required: false }
passwords: { argon2_memory_cost: 19456, argon2_time_cost: 2, argon2_parallelism: 1 }
""",
    )

    settings = load_settings(path, {})

    assert settings.issuer == "https://id.example.com"
    assert settings.data_dir == Path("/var/lib/bridge")
    assert settings.ephemeral.backend == "redis"
    assert settings.ephemeral.key_prefix == "idp:"
    assert settings.ephemeral.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.server.port == 9000
    assert settings.server.threads == 8
    assert (settings.totp.digits, settings.totp.algorithm) == (8, "SHA256")
    assert settings.mfa.required is False
    assert settings.passwords.argon2_memory_cost == 19456


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path / "empty.yaml", "# nothing\n"), {}) == Settings()


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bridge.yaml", "server: { port: 9000, host: 0.0.0.0 }\n")

    settings = load_settings(path, {"BRIDGE_SERVER__PORT": "9100"})

    assert settings.server.port == 9100
    assert settings.server.host == "0.0.0.0"


def test_nested_variables_use_a_double_underscore() -> None:
    settings = load_settings(
        None,
        {
            "BRIDGE_ISSUER": "https://id.example.com",
            "BRIDGE_DATA_DIR": "/srv/bridge",
            "BRIDGE_EPHEMERAL__BACKEND": "redis",
            "BRIDGE_EPHEMERAL__REDIS_URL": "redis://cache:6379/2",
            "BRIDGE_MFA__REQUIRED": "false",
            "BRIDGE_SERVER__PORT": "9000",
        },
    )

    assert settings.issuer == "https://id.example.com"
    assert settings.data_dir == Path("/srv/bridge")
    assert settings.ephemeral.backend == "redis"
    assert settings.ephemeral.redis_url == "redis://cache:6379/2"
    assert settings.mfa.required is False
    assert settings.server.port == 9000


def test_a_database_url_can_be_read_from_a_file(tmp_path: Path) -> None:
    url = "postgresql+psycopg://bridge:hunter2@db/bridge"
    (tmp_path / "url").write_text(url + "\n")

    settings = load_settings(None, {"BRIDGE_DATABASE_URL_FILE": str(tmp_path / "url")})

    assert settings.database_url == url


def test_an_empty_variable_is_yaml_null(tmp_path: Path) -> None:
    path = write(tmp_path / "bridge.yaml", "database_url: postgresql://db/bridge\n")

    assert load_settings(path, {"BRIDGE_DATABASE_URL": ""}).database_url is None


def test_a_value_that_is_not_a_yaml_scalar_stays_text() -> None:
    settings = load_settings(None, {"BRIDGE_TOTP__ISSUER_LABEL": "Acme [staging]"})

    assert settings.totp.issuer_label == "Acme [staging]"


@pytest.mark.parametrize(
    "variable",
    [
        "BRIDGE_CONFIG",
        "BRIDGE_SECRET_KEY",
        "BRIDGE_SECRET_KEY_FILE",
        "BRIDGE_ENCRYPTION_KEYS",
        "BRIDGE_ENCRYPTION_KEYS_FILE",
        "BRIDGE_TEST_POSTGRES_URL",
    ],
)
def test_variables_that_are_not_settings_are_ignored(variable: str) -> None:
    assert load_settings(None, {variable: "anything"}) == Settings()


def test_a_trailing_slash_on_the_issuer_is_removed() -> None:
    settings = load_settings(None, {"BRIDGE_ISSUER": "https://id.example.com/tenant/"})

    assert settings.issuer == "https://id.example.com/tenant"


@pytest.mark.parametrize(
    "issuer",
    ["http://localhost:8000", "http://127.0.0.1", "http://127.1.2.3:9000", "http://[::1]:8000"],
)
def test_plain_http_is_allowed_on_loopback(issuer: str) -> None:
    assert load_settings(None, {"BRIDGE_ISSUER": issuer}).issuer == issuer


def test_a_relative_flow_directory_is_read_from_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    path = write(tmp_path / "etc" / "bridge.yaml", "flows: { directory: flows }\n")

    settings = load_settings(path, {})

    assert settings.flows.directory == tmp_path / "etc" / "flows"
    assert settings.flows.directory_resolved == tmp_path / "etc" / "flows"


def test_a_relative_flow_directory_from_the_environment_is_read_from_the_working_directory(
    tmp_path: Path,
) -> None:
    settings = load_settings(None, {"BRIDGE_FLOWS__DIRECTORY": "my-flows"})

    assert settings.flows.directory == tmp_path / "my-flows"


def test_without_a_flow_directory_the_built_in_flows_are_used() -> None:
    directory = load_settings(None, {}).flows.directory_resolved

    assert (
        directory
        == Path(importlib.import_module("flows.context").__file__ or "").parent / "builtin"
    )


def test_bridge_config_names_the_file() -> None:
    assert config_path_from_env({"BRIDGE_CONFIG": "/etc/bridge.yaml"}) == Path("/etc/bridge.yaml")
    assert config_path_from_env({}) is None


def test_the_example_file_holds_the_defaults() -> None:
    assert load_settings(EXAMPLE, {}) == Settings()


def test_the_example_file_shows_every_key_with_a_comment() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    shown = set(_key_paths(yaml.safe_load(text)))

    assert shown == set(_key_paths(Settings().model_dump()))
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\s*[a-z_0-9]+:", line):
            above = lines[number - 1].strip() if number else ""
            assert "#" in line or above.startswith("#"), f"line {number + 1} has no comment"


def test_the_documentation_names_every_key_and_variable() -> None:
    text = (REPOSITORY / "docs" / "configuration.md").read_text(encoding="utf-8")

    for key in _key_paths(Settings().model_dump()):
        assert f"`{'.'.join(key)}`" in text
        assert "BRIDGE_" + "__".join(key).upper() in text
    for variable in ("BRIDGE_SECRET_KEY_FILE", "BRIDGE_ENCRYPTION_KEYS_FILE", "BRIDGE_CONFIG"):
        assert variable in text


def _key_paths(data: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if isinstance(data, dict):
        return [path for name, value in data.items() for path in _key_paths(value, (*prefix, name))]
    return [prefix]
