"""``audit.retention_days``: off (keep every event) unless set, and within bounds."""

from __future__ import annotations

import pytest

from bridge.config.errors import SettingsError
from bridge.config.loading import load_settings


def test_by_default_the_audit_log_is_kept_for_ever() -> None:
    assert load_settings(None, {}).audit.retention_days is None


def test_the_retention_is_set_in_days() -> None:
    settings = load_settings(None, {"BRIDGE_AUDIT__RETENTION_DAYS": "400"})
    assert settings.audit.retention_days == 400


@pytest.mark.parametrize("days", ["0", "-3", "36501", "a year"])
def test_a_retention_out_of_bounds_is_refused(days: str) -> None:
    with pytest.raises(SettingsError, match=r"audit\.retention_days"):
        load_settings(None, {"BRIDGE_AUDIT__RETENTION_DAYS": days})
