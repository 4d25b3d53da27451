"""Secrets come from the environment or files; only a single-host install generates its own."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from bridge.config.errors import SettingsError
from bridge.config.loading import load_settings
from bridge.config.secrets import Secrets, check_keyring_shape, load_secrets
from bridge.config.settings import Settings
from bridge.storage.crypto import parse_keyring

SECRET_KEY = "s" * 32
KEYRING = "k1:" + base64.urlsafe_b64encode(bytes(range(32))).rstrip(b"=").decode()
POSTGRES = {"BRIDGE_DATABASE_URL": "postgresql+psycopg://bridge@db/bridge"}


@pytest.fixture
def embedded(tmp_path: Path) -> Settings:
    return load_settings(None, {"BRIDGE_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def production(tmp_path: Path) -> Settings:
    return load_settings(None, {"BRIDGE_DATA_DIR": str(tmp_path / "data"), **POSTGRES})


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_from_the_environment_are_used_as_given(production: Settings) -> None:
    secrets = load_secrets(
        production, {"BRIDGE_SECRET_KEY": SECRET_KEY, "BRIDGE_ENCRYPTION_KEYS": KEYRING}
    )

    assert secrets == Secrets(secret_key=SECRET_KEY.encode(), encryption_keys=KEYRING)
    assert not production.data_dir.exists()


def test_secrets_are_read_from_files_without_the_trailing_newline(
    production: Settings, tmp_path: Path
) -> None:
    (tmp_path / "key").write_text(SECRET_KEY + "\n")
    (tmp_path / "ring").write_text(KEYRING + "\n")

    secrets = load_secrets(
        production,
        {
            "BRIDGE_SECRET_KEY_FILE": str(tmp_path / "key"),
            "BRIDGE_ENCRYPTION_KEYS_FILE": str(tmp_path / "ring"),
        },
    )

    assert secrets == Secrets(secret_key=SECRET_KEY.encode(), encryption_keys=KEYRING)


def test_a_missing_secret_file_is_named(production: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    environ = {"BRIDGE_SECRET_KEY_FILE": str(missing), "BRIDGE_ENCRYPTION_KEYS": KEYRING}

    with pytest.raises(SettingsError, match=f"BRIDGE_SECRET_KEY_FILE: cannot read {missing}"):
        load_secrets(production, environ)


def test_a_variable_and_its_file_together_are_refused(production: Settings) -> None:
    environ = {
        "BRIDGE_SECRET_KEY": SECRET_KEY,
        "BRIDGE_SECRET_KEY_FILE": "/run/secrets/key",
        "BRIDGE_ENCRYPTION_KEYS": KEYRING,
    }

    with pytest.raises(
        SettingsError, match="set either BRIDGE_SECRET_KEY or BRIDGE_SECRET_KEY_FILE"
    ):
        load_secrets(production, environ)


def test_a_short_secret_key_is_refused(production: Settings) -> None:
    environ = {"BRIDGE_SECRET_KEY": "x" * 31, "BRIDGE_ENCRYPTION_KEYS": KEYRING}

    with pytest.raises(SettingsError) as caught:
        load_secrets(production, environ)

    assert caught.value.problems == ("BRIDGE_SECRET_KEY: must be at least 32 bytes (got 31)",)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("k1", "entry 1: expected kid:base64url-32-bytes"),
        (f"{KEYRING},{KEYRING}", "entry 2: key id 'k1' occurs twice"),
        ("k1:" + "A" * 42, "entry 1 (k1): the key must decode to 32 bytes (got 31)"),
        (KEYRING + "=", "entry 1 (k1): the key is not unpadded base64url"),
        ("k1:abc+/def", "entry 1 (k1): the key is not unpadded base64url"),
        ("key one:" + KEYRING[3:], "entry 1: expected kid:base64url-32-bytes"),
        ("", "entry 1: expected kid:base64url-32-bytes"),
    ],
)
def test_a_malformed_keyring_is_refused(production: Settings, spec: str, problem: str) -> None:
    assert (check_keyring_shape(spec) or "").startswith(problem)
    environ = {"BRIDGE_SECRET_KEY": SECRET_KEY, "BRIDGE_ENCRYPTION_KEYS": spec}
    with pytest.raises(SettingsError) as caught:
        load_secrets(production, environ)
    assert caught.value.problems[0].startswith(f"BRIDGE_ENCRYPTION_KEYS: {problem}")


def test_a_rotated_keyring_of_several_keys_is_accepted() -> None:
    second = "k2:" + base64.urlsafe_b64encode(b"\x01" * 32).rstrip(b"=").decode()

    assert check_keyring_shape(f"{second}, {KEYRING}") is None


def test_with_the_embedded_database_missing_secrets_are_generated(embedded: Settings) -> None:
    secrets = load_secrets(embedded, {})

    folder = embedded.data_dir / "secrets"
    assert len(secrets.secret_key) >= 32
    assert check_keyring_shape(secrets.encryption_keys) is None
    assert mode(folder) == 0o700
    assert mode(folder / "secret_key") == 0o600
    assert mode(folder / "encryption_keys") == 0o600
    assert sorted(path.name for path in folder.iterdir()) == ["encryption_keys", "secret_key"]


def test_generated_secrets_are_reused_on_the_next_start(embedded: Settings) -> None:
    first = load_secrets(embedded, {})

    assert load_secrets(embedded, {}) == first


def test_the_generated_keyring_opens_with_the_crypto_module(embedded: Settings) -> None:
    keyring = parse_keyring(load_secrets(embedded, {}).encryption_keys)

    assert keyring.primary_kid


def test_a_secret_from_the_environment_wins_over_a_generated_one(embedded: Settings) -> None:
    load_secrets(embedded, {})

    assert (
        load_secrets(embedded, {"BRIDGE_SECRET_KEY": SECRET_KEY}).secret_key == SECRET_KEY.encode()
    )


def test_only_the_missing_secret_is_generated(embedded: Settings) -> None:
    secrets = load_secrets(embedded, {"BRIDGE_ENCRYPTION_KEYS": KEYRING})

    assert secrets.encryption_keys == KEYRING
    assert [path.name for path in (embedded.data_dir / "secrets").iterdir()] == ["secret_key"]


def test_with_another_database_missing_secrets_stop_the_start(production: Settings) -> None:
    with pytest.raises(SettingsError) as caught:
        load_secrets(production, {})

    [problem] = caught.value.problems
    assert problem.startswith("BRIDGE_SECRET_KEY and BRIDGE_ENCRYPTION_KEYS are not set")
    assert "BRIDGE_SECRET_KEY_FILE" in problem
    assert "BRIDGE_ENCRYPTION_KEYS_FILE" in problem
    assert not production.data_dir.exists()


def test_with_another_database_generated_files_are_not_used(
    embedded: Settings, production: Settings
) -> None:
    load_secrets(embedded, {})

    with pytest.raises(SettingsError, match="BRIDGE_ENCRYPTION_KEYS is not set"):
        load_secrets(production, {"BRIDGE_SECRET_KEY": SECRET_KEY})


def test_a_generated_secret_readable_by_others_is_refused(embedded: Settings) -> None:
    load_secrets(embedded, {})
    key = embedded.data_dir / "secrets" / "secret_key"
    key.chmod(0o644)

    with pytest.raises(SettingsError, match=r"readable by others \(mode 0644\); run chmod 600"):
        load_secrets(embedded, {})


def test_a_secrets_folder_open_to_others_is_refused(embedded: Settings) -> None:
    folder = embedded.data_dir / "secrets"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)

    with pytest.raises(SettingsError, match=r"open to others \(mode 0755\); run chmod 700"):
        load_secrets(embedded, {})


def test_secrets_do_not_show_in_their_repr() -> None:
    secrets = Secrets(secret_key=SECRET_KEY.encode(), encryption_keys=KEYRING)

    assert SECRET_KEY not in repr(secrets)
    assert KEYRING not in repr(secrets)
