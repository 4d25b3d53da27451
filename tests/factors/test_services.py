"""The second factor's services are built with the app; mail failures reach the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.errors import SettingsError
from bridge.config.loading import load_settings
from bridge.config.secrets import load_secrets
from bridge.domain.clock import FrozenClock
from bridge.services.container import build_services
from tests.ports import unused_port


def test_the_services_are_built_and_a_failed_mail_is_recorded(
    tmp_path: Path, clock: FrozenClock
) -> None:
    environ = {
        "BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "BRIDGE_MAIL__HOST": "127.0.0.1",
        "BRIDGE_MAIL__PORT": str(unused_port()),  # nothing listens: every attempt fails
        "BRIDGE_MAIL__SECURITY": "none",
        "BRIDGE_MAIL__MAX_ATTEMPTS": "1",
    }
    settings = load_settings(None, environ)
    services = build_services(settings, load_secrets(settings, environ), clock)
    try:
        services.db.upgrade()
        user = services.users.create("alice", email="alice@example.org", password=None)
        assert len(services.recovery.generate(user.id)) == 10
        token = services.trusted_devices.trust(user.id, "Firefox on Linux", 30)
        assert services.trusted_devices.is_trusted(user.id, token)
        assert services.lockout.admit("192.0.2.1") is None
        services.mailer.notify(
            "reset_approved", to=user.email, user_id=user.id, username="alice", when="now"
        )
        assert services.mailer.outbox.wait_idle(30)
        (event,) = services.audit.events(event="mail_failed")
        assert event.user_id == user.id
        assert event.details["kind"] == "reset_approved"
    finally:
        services.close()


def test_the_mail_password_comes_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "smtp_password"
    secret.write_text("s3cret\n")
    environ = {"BRIDGE_DATA_DIR": str(tmp_path / "data"), "BRIDGE_MAIL_PASSWORD_FILE": str(secret)}
    settings = load_settings(None, environ)
    assert load_secrets(settings, environ).mail_password == "s3cret"
    assert "s3cret" not in repr(load_secrets(settings, environ))


def test_a_mail_password_in_the_yaml_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text("mail:\n  host: smtp.example.org\n  password: hunter2\n")
    with pytest.raises(SettingsError, match=r"mail\.password: secrets are not read"):
        load_settings(config, {})
