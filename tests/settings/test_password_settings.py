"""The minimum password lengths are settings (issue 14): 15 for an account that signs in with
its password alone, 8 with a second factor, never below 8; a wrong value names the file, the
line and the key like every other setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.config.errors import SettingsError
from bridge.config.loading import load_settings
from bridge.services.container import Services
from bridge.services.password_policy import WeakPassword


@pytest.fixture
def bridge_config() -> dict[str, Any]:
    return {"passwords": {"min_length_single_factor": 20, "min_length_with_2fa": 10}}


def _problems(path: Path, text: str) -> list[str]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path, {})
    return list(caught.value.problems)


def test_the_defaults_are_15_and_8() -> None:
    passwords = load_settings(None, {}).passwords
    assert (passwords.min_length_single_factor, passwords.min_length_with_2fa) == (15, 8)


@pytest.mark.parametrize("key", ["min_length_single_factor", "min_length_with_2fa"])
def test_a_minimum_below_8_is_refused_naming_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "bridge.yaml"
    [line] = _problems(config, f"passwords:\n  {key}: 7\n")
    assert line == f"{config}:2: passwords.{key}: must be between 8 and 64 (got 7)"


def test_the_configured_minimums_are_the_policy_s(services: Services) -> None:
    policy = services.users.policy
    assert (policy.min_single_factor, policy.min_second_factor) == (20, 10)
    with pytest.raises(WeakPassword, match="at least 20 characters"):
        policy.check("nineteen characters", second_factor=False)
    with pytest.raises(WeakPassword, match="at least 10 characters"):
        policy.check("nine char", second_factor=True)
